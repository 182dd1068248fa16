import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { OutputStream } from "../../gen/dockhand/v1/agent_streams_pb.js";
import type { AttachRequestSchema, AttachResponse } from "../../gen/dockhand/v1/agent_interactive_pb.js";
import { ContainerState } from "../../gen/dockhand/v1/scaler_pb.js";
import { readResponses, requestQueue } from "../support/bidi-session.js";
import { expectCode, useContainerFixture } from "../support/container-fixture.js";
import { testImage } from "../support/engine.js";

type Request = MessageInitShape<typeof AttachRequestSchema>;

const stdin = (text: string): Request => ({ item: { case: "stdin", value: Buffer.from(text) } });
const detach: Request = { item: { case: "detach", value: {} } };

function text(seen: AttachResponse[]): string {
  return seen
    .flatMap((m) =>
      m.item.case === "output" && m.item.value.stream === OutputStream.STDOUT ? [m.item.value.data] : [],
    )
    .map((b) => Buffer.from(b).toString())
    .join("");
}

function endOf(seen: AttachResponse[]) {
  const last = seen.at(-1);
  return last?.item.case === "ended" ? last.item.value.reason : undefined;
}

describe("ContainerAgent.Attach", () => {
  const fx = useContainerFixture("attach");

  function attach(first: Request) {
    const requests = requestQueue<Request>();
    requests.push(first);
    return { requests, reader: readResponses(fx.agent.attach(requests)) };
  }

  /** A running container made as `docker run -dit` would: a shell with a terminal and its stdin open, once. */
  async function interactiveShell(): Promise<string> {
    const container = await fx.engine.docker.createContainer({
      name: fx.name("shell"),
      Image: testImage,
      Cmd: ["sh"],
      Tty: true,
      OpenStdin: true,
      StdinOnce: true,
      Labels: fx.labels,
    });
    await container.start();
    return container.id;
  }

  async function stateOf(id: string): Promise<ContainerState | undefined> {
    return (await fx.agent.getContainer({ id })).container?.state;
  }

  it("follows the main process's output and detaches, leaving it running", async () => {
    const ticker = await fx.run({
      command: ["sh", "-c", "i=0; while :; do echo tick-$i; i=$((i+1)); sleep 0.1; done"],
    });
    const { requests, reader } = attach({ item: { case: "open", value: { id: ticker.id } } });
    await reader.until((s) => /tick-\d+\n.*tick-\d+/s.test(text(s)), "two ticks");
    expect(reader.seen[0]?.item).toEqual({ case: "started", value: expect.objectContaining({ tty: false }) });
    requests.push(detach);
    const seen = await reader.rest();
    expect(endOf(seen)).toEqual({ case: "detached", value: expect.anything() });
    expect(await stateOf(ticker.id)).toBe(ContainerState.RUNNING);
  });

  it("types into a shell with a terminal, resizes it, detaches without closing its stdin, then sees its exit code", async () => {
    const id = await interactiveShell();
    const first = attach({
      item: { case: "open", value: { id, stdin: true, terminalSize: { rows: 50, columns: 132 } } },
    });
    await first.reader.until((s) => s.length > 0, "started");
    expect(first.reader.seen[0]?.item).toEqual({ case: "started", value: expect.objectContaining({ tty: true }) });
    first.requests.push(stdin("stty size\n"));
    await first.reader.until((s) => text(s).includes("50 132"), "the size given at attach");
    first.requests.push({ item: { case: "resize", value: { rows: 21, columns: 77 } } });
    first.requests.push(stdin("stty size; echo hi-$((1+1))\n"));
    await first.reader.until((s) => text(s).includes("21 77") && text(s).includes("hi-2"), "resize and echo");
    first.requests.push(detach);
    expect(endOf(await first.reader.rest())).toEqual({ case: "detached", value: expect.anything() });
    expect(await stateOf(id)).toBe(ContainerState.RUNNING);

    const second = attach({ item: { case: "open", value: { id, stdin: true } } });
    await second.reader.until((s) => s.length > 0, "started again");
    second.requests.push(stdin("echo still-$((2*3))\n"));
    await second.reader.until((s) => text(s).includes("still-6"), "the same shell, still there");
    second.requests.push(stdin("exit 3\n"));
    expect(endOf(await second.reader.rest())).toEqual({ case: "exitCode", value: 3 });
  });

  it("refuses a stopped container and stdin the container has not open, with FAILED_PRECONDITION", async () => {
    const stopped = await fx.create();
    await expectCode(
      attach({ item: { case: "open", value: { id: stopped.id } } }).reader.rest(),
      Code.FailedPrecondition,
    );
    const running = await fx.run();
    await expectCode(
      attach({ item: { case: "open", value: { id: running.id, stdin: true } } }).reader.rest(),
      Code.FailedPrecondition,
      "stdin",
    );
  });

  it("refuses bad messages with INVALID_ARGUMENT naming the field, and the container keeps running", async () => {
    const running = await fx.run();
    await expectCode(attach(stdin("x")).reader.rest(), Code.InvalidArgument, "stdin:", "before open");
    await expectCode(
      attach({
        item: { case: "open", value: { id: running.id, terminalSize: { rows: 24, columns: 80 } } },
      }).reader.rest(),
      Code.InvalidArgument,
      "open.terminal_size:",
    );
    const session = attach({ item: { case: "open", value: { id: running.id } } });
    await session.reader.until((s) => s.length > 0, "started");
    session.requests.push(stdin("hello"));
    await expectCode(session.reader.rest(), Code.InvalidArgument, "stdin:");
    expect(await stateOf(running.id)).toBe(ContainerState.RUNNING);
  });
});
