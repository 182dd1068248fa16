import { beforeAll, describe, expect, it } from "vitest";
import * as grpc from "@grpc/grpc-js";
import { Code, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { OutputStream } from "../../gen/dockhand/v1/agent_streams_pb.js";
import {
  ExecSessionRequestSchema,
  ExecSessionResponseSchema,
  type ExecSessionResponse,
} from "../../gen/dockhand/v1/agent_interactive_pb.js";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import { readResponses, requestQueue } from "../support/bidi-session.js";
import { expectCode, useContainerFixture } from "../support/container-fixture.js";
import { until } from "../support/until.js";

type Request = MessageInitShape<typeof ExecSessionRequestSchema>;

const stdin = (text: string): Request => ({ item: { case: "stdin", value: Buffer.from(text) } });
const resize = (rows: number, columns: number): Request => ({ item: { case: "resize", value: { rows, columns } } });
const closeStdin: Request = { item: { case: "closeStdin", value: {} } };

/** Everything the session wrote on one stream so far. */
function text(seen: ExecSessionResponse[], stream = OutputStream.STDOUT): string {
  return seen
    .flatMap((m) =>
      m.item.case === "output" && m.item.value.stream === stream ? [Buffer.from(m.item.value.data)] : [],
    )
    .map((b) => b.toString())
    .join("");
}

function exitCodeOf(seen: ExecSessionResponse[]): number | undefined {
  const last = seen.at(-1);
  return last?.item.case === "result" ? last.item.value.exitCode : undefined;
}

/** Opens a session: its request queue and a reader of its answers. */
function open(agent: Client<typeof ContainerAgent>, first: Request, signal?: AbortSignal) {
  const requests = requestQueue<Request>();
  requests.push(first);
  const reader = readResponses(agent.execSession(requests, { signal }));
  return { requests, reader };
}

describe("ContainerAgent.ExecSession", () => {
  const fx = useContainerFixture("exec-session");
  let running: string;
  const transports: Record<string, () => Client<typeof ContainerAgent>> = {};

  beforeAll(async () => {
    running = (await fx.run()).id;
    transports.grpc = () => createClient(ContainerAgent, createGrpcTransport({ baseUrl: fx.server.url }));
    transports["connect over HTTP/2"] = () =>
      createClient(ContainerAgent, createConnectTransport({ baseUrl: fx.server.url, httpVersion: "2" }));
  });

  async function shellOutput(script: string): Promise<string> {
    let out = "";
    for await (const m of fx.agent.exec({ id: running, command: ["sh", "-c", script] }))
      if (m.item.case === "output") out += Buffer.from(m.item.value.data).toString();
    return out;
  }

  const processList = () => shellOutput("ps -o args");

  for (const name of ["grpc", "connect over HTTP/2"]) {
    it(`runs a shell with a terminal: typed lines, resize seen by stty size, the exit code last (${name})`, async () => {
      const agent = transports[name]!();
      const { requests, reader } = open(agent, {
        item: {
          case: "open",
          value: { id: running, command: ["sh"], tty: true, stdin: true, terminalSize: { rows: 40, columns: 120 } },
        },
      });
      await reader.until((s) => s.length > 0, "started");
      expect(reader.seen[0]?.item).toEqual({ case: "started", value: expect.objectContaining({ tty: true }) });
      requests.push(stdin("echo hello-$((6*7))\n"));
      await reader.until((s) => text(s).includes("hello-42"), "hello-42");
      requests.push(stdin("stty size\n"));
      await reader.until((s) => text(s).includes("40 120"), "the size given at open");
      requests.push(resize(33, 101));
      requests.push(stdin("stty size\n"));
      await reader.until((s) => text(s).includes("33 101"), "the size after resize");
      requests.push(stdin("exit 7\n"));
      const seen = await reader.rest();
      expect(exitCodeOf(seen)).toBe(7);
      expect(seen.filter((m) => m.item.case === "result")).toHaveLength(1);
      expect(text(seen, OutputStream.STDERR)).toBe("");
    });

    it(`runs a shell without a terminal: stdout and stderr apart, end of stdin ends it (${name})`, async () => {
      const agent = transports[name]!();
      const { requests, reader } = open(agent, {
        item: { case: "open", value: { id: running, command: ["sh"], stdin: true, environment: { WHO: "pipe" } } },
      });
      requests.push(stdin('echo "out-$WHO"; echo err-$((2+3)) >&2\n'));
      await reader.until((s) => text(s).includes("out-pipe") && text(s, OutputStream.STDERR).includes("err-5"), "both");
      expect(reader.seen[0]?.item).toEqual({ case: "started", value: expect.objectContaining({ tty: false }) });
      requests.push(closeStdin);
      const seen = await reader.rest();
      expect(text(seen)).toBe("out-pipe\n");
      expect(text(seen, OutputStream.STDERR)).toBe("err-5\n");
      expect(exitCodeOf(seen)).toBe(0);
    });
  }

  it("runs sessions with and without a terminal over @grpc/grpc-js", async () => {
    const client = new grpc.Client(fx.server.url.replace("http://", ""), grpc.credentials.createInsecure());
    try {
      for (const tty of [true, false]) {
        const call = client.makeBidiStreamRequest(
          "/dockhand.v1.ContainerAgent/ExecSession",
          (message: Request) =>
            Buffer.from(toBinary(ExecSessionRequestSchema, create(ExecSessionRequestSchema, message))),
          (bytes: Buffer) => fromBinary(ExecSessionResponseSchema, bytes),
        );
        const seen: ExecSessionResponse[] = [];
        const ended = new Promise<void>((resolve, reject) => {
          call.on("data", (message: ExecSessionResponse) => seen.push(message));
          call.on("end", resolve);
          call.on("error", reject);
        });
        call.write({ item: { case: "open", value: { id: running, command: ["sh"], tty, stdin: true } } });
        call.write(stdin("echo hi-$((3*4)); echo err-$((1+1)) >&2\n"));
        await until(
          () => text(seen).includes("hi-12") && (tty ? text(seen) : text(seen, OutputStream.STDERR)).includes("err-2"),
        );
        call.write(stdin("exit 2\n"));
        call.end();
        await ended;
        expect(seen[0]?.item).toEqual({ case: "started", value: expect.objectContaining({ tty }) });
        expect(exitCodeOf(seen)).toBe(2);
        expect(text(seen, OutputStream.STDERR)).toBe(tty ? "" : "err-2\n");
      }
    } finally {
      client.close();
    }
  });

  it("closing stdin is a half-close: cat sees end of file and its output still comes", async () => {
    const { requests, reader } = open(fx.agent, {
      item: { case: "open", value: { id: running, command: ["sh", "-c", "cat; echo after-eof"], stdin: true } },
    });
    requests.push(stdin("line one\n"));
    requests.push(stdin("line two"));
    requests.push(closeStdin);
    const seen = await reader.rest();
    expect(text(seen)).toBe("line one\nline twoafter-eof\n");
    expect(exitCodeOf(seen)).toBe(0);
  });

  it("closing stdin of a terminal is its end-of-file key: cat ends and the output after it still comes", async () => {
    const { requests, reader } = open(fx.agent, {
      item: {
        case: "open",
        value: { id: running, command: ["sh", "-c", "cat; echo after-eof"], tty: true, stdin: true },
      },
    });
    requests.push(stdin("typed\n"));
    await reader.until((s) => text(s).includes("typed\r\ntyped\r\n"), "the line echoed and catted");
    requests.push(closeStdin);
    const seen = await reader.rest();
    expect(text(seen)).toBe("typed\r\ntyped\r\nafter-eof\r\n");
    expect(exitCodeOf(seen)).toBe(0);
  });

  it("ending the request stream closes stdin too, and the result still comes", async () => {
    const { requests, reader } = open(fx.agent, {
      item: { case: "open", value: { id: running, command: ["wc", "-c"], stdin: true } },
    });
    requests.push(stdin("12345"));
    requests.end();
    const seen = await reader.rest();
    expect(text(seen).trim()).toBe("5");
    expect(exitCodeOf(seen)).toBe(0);
  });

  it("holds the command back while the client does not read, instead of buffering its output", async () => {
    const total = 64 * 1024 * 1024;
    const { reader } = open(fx.agent, {
      item: { case: "open", value: { id: running, command: ["head", "-c", String(total), "/dev/zero"] } },
    });
    await reader.until((s) => s.length > 0, "started");
    // The client reads nothing more: the command can only write what the buffers on the way hold.
    const written = async () =>
      Number(/wchar: (\d+)/.exec(await shellOutput("cat /proc/$(pidof head)/io"))?.[1] ?? NaN);
    let last = -1;
    let steady = 0;
    await until(async () => {
      const now = await written();
      steady = now === last ? steady + 1 : 0;
      last = now;
      return steady >= 5;
    });
    expect(last).toBeGreaterThan(0);
    expect(last).toBeLessThan(total / 4);
    const seen = await reader.rest();
    const received = seen.reduce((sum, m) => sum + (m.item.case === "output" ? m.item.value.data.length : 0), 0);
    expect(received).toBe(total);
    expect(exitCodeOf(seen)).toBe(0);
  });

  it("passes exit codes through, with a terminal and without", async () => {
    for (const tty of [false, true]) {
      const { reader } = open(fx.agent, {
        item: { case: "open", value: { id: running, command: ["sh", "-c", "echo bye; exit 42"], tty } },
      });
      const seen = await reader.rest();
      expect(text(seen).trim()).toBe("bye");
      expect(exitCodeOf(seen)).toBe(42);
    }
  });

  it("sends a signal to the command", async () => {
    const { requests, reader } = open(fx.agent, {
      item: {
        case: "open",
        value: {
          id: running,
          command: ["sh", "-c", "trap 'echo got-term; exit 9' TERM; echo ready; while :; do sleep 0.1; done"],
        },
      },
    });
    await reader.until((s) => text(s).includes("ready"), "ready");
    requests.push({ item: { case: "signal", value: { signal: "term" } } });
    const seen = await reader.rest();
    expect(text(seen)).toContain("got-term");
    expect(exitCodeOf(seen)).toBe(9);
  });

  it("refuses a container that is not running, with FAILED_PRECONDITION", async () => {
    const stopped = await fx.create();
    const { reader } = open(fx.agent, { item: { case: "open", value: { id: stopped.id, command: ["sh"] } } });
    await expectCode(reader.rest(), Code.FailedPrecondition, "not running");
  });

  it("refuses bad opens with INVALID_ARGUMENT naming the field", async () => {
    const cases: Array<[Request, string]> = [
      [{ item: { case: "open", value: { id: running, command: [] } } }, "open.command"],
      [{ item: { case: "open", value: { id: running, command: ["echo", "a\0b"] } } }, "open.command[1]"],
      [{ item: { case: "open", value: { id: "", command: ["sh"] } } }, "open.id"],
      [
        {
          item: {
            case: "open",
            value: { id: running, command: ["sh"], tty: true, terminalSize: { rows: 0, columns: 80 } },
          },
        },
        "open.terminal_size.rows",
      ],
      [
        { item: { case: "open", value: { id: running, command: ["sh"], terminalSize: { rows: 24, columns: 80 } } } },
        "open.terminal_size",
      ],
      [resize(24, 80), "resize"],
      [stdin("x"), "stdin"],
      [{ item: { case: undefined } }, "item"],
    ];
    for (const [first, field] of cases) {
      const { reader } = open(fx.agent, first);
      await expectCode(reader.rest(), Code.InvalidArgument, `${field}:`);
    }
  });

  it("takes close_stdin twice as once, and refuses stdin after it with INVALID_ARGUMENT", async () => {
    const { requests, reader } = open(fx.agent, {
      item: { case: "open", value: { id: running, command: ["sh", "-c", "cat; sleep 4323"], stdin: true } },
    });
    requests.push(stdin("before\n"));
    requests.push(closeStdin);
    requests.push(closeStdin);
    await reader.until((s) => text(s).includes("before"), "cat's output");
    await until(async () => (await processList()).includes("sleep 4323"));
    requests.push(stdin("after"));
    await expectCode(reader.rest(), Code.InvalidArgument, "stdin:", "after close_stdin");
  });

  it("refuses a terminal size of 0 or over 10000 in a resize, ending the session", async () => {
    for (const [rows, columns, field] of [
      [0, 80, "resize.rows"],
      [24, 10_001, "resize.columns"],
    ] as const) {
      const { requests, reader } = open(fx.agent, {
        item: { case: "open", value: { id: running, command: ["sh"], tty: true, stdin: true } },
      });
      await reader.until((s) => s.length > 0, "started");
      requests.push(resize(rows, columns));
      await expectCode(reader.rest(), Code.InvalidArgument, `${field}:`, "10000");
    }
  });

  it("refuses stdin to a session opened without it, and ends the session cleanly (the command is stopped)", async () => {
    const { requests, reader } = open(fx.agent, {
      item: { case: "open", value: { id: running, command: ["sleep", "4321"] } },
    });
    await reader.until((s) => s.length > 0, "started");
    await until(async () => (await processList()).includes("sleep 4321"));
    requests.push(stdin("hello"));
    await expectCode(reader.rest(), Code.InvalidArgument, "stdin:", "without stdin");
    await until(async () => !(await processList()).includes("sleep 4321"));
  });

  it("stops the command when the client cancels", async () => {
    const controller = new AbortController();
    const { reader } = open(
      fx.agent,
      { item: { case: "open", value: { id: running, command: ["sleep", "4322"], tty: true, stdin: true } } },
      controller.signal,
    );
    await reader.until((s) => s.length > 0, "started");
    await until(async () => (await processList()).includes("sleep 4322"));
    controller.abort();
    await expect(reader.rest()).rejects.toThrow();
    await until(async () => !(await processList()).includes("sleep 4322"));
  });
});
