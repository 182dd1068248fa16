import { spawn } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { OutputStream, type StreamLogsResponse } from "../../gen/dockhand/v1/agent_streams_pb.js";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { StreamLogsRequestSchema } from "../../gen/dockhand/v1/agent_streams_pb.js";
import { clientFor, type WireProtocol } from "../support/clients.js";
import { expectCode, useContainerFixture } from "../support/container-fixture.js";
import { daemonConnections, socketsInUse, steady } from "../support/engine-connections.js";
import { testImage } from "../support/engine.js";
import { run as runCommand } from "../support/run.js";
import { useSecondEngineServer } from "../support/second-engine-server.js";
import { until } from "../support/until.js";

type LogsRequest = MessageInitShape<typeof StreamLogsRequestSchema>;

/** One line, as the runs of a message carry it. */
interface LogLine {
  stream: OutputStream;
  text: string;
  time?: Timestamp;
}

function linesOf(message: StreamLogsResponse): LogLine[] {
  return message.runs.flatMap((run) => run.lines.map((text, i) => ({ stream: run.stream, text, time: run.times[i] })));
}

const plain = (lines: LogLine[]) => lines.map((l) => `${OutputStream[l.stream]}:${l.text}`);

describe("ContainerAgent.StreamLogs", () => {
  const fx = useContainerFixture("logs");
  /** Exited container: out1 err1 out2 err2 ... out5 err5, then "no newline" on stdout without one. */
  let mixed: string;

  async function readAll(
    request: LogsRequest,
    protocol: WireProtocol = "grpc",
  ): Promise<{ lines: LogLine[]; messages: number }> {
    const lines: LogLine[] = [];
    let messages = 0;
    for await (const message of clientFor(ContainerAgent, fx.server.url, protocol).streamLogs(request)) {
      messages++;
      expect(message.runs.every((run, i) => i === 0 || run.stream !== message.runs[i - 1]?.stream)).toBe(true);
      lines.push(...linesOf(message));
    }
    return { lines, messages };
  }

  /** A container started directly on the engine (the spec has no Tty), labelled for clean-up. */
  async function runDirect(script: string, tty: boolean): Promise<string> {
    const container = await fx.engine.docker.createContainer({
      Image: testImage,
      Cmd: ["sh", "-c", script],
      Tty: tty,
      Labels: fx.labels,
      HostConfig: { Init: true },
    });
    await container.start();
    return container.id;
  }

  beforeAll(async () => {
    // Each line written and logged before the next, so that the engine's order is the writing order
    // (0.2 s apart: stdout and stderr are two pipes, and a loaded machine can delay one of them).
    const script = 'for i in 1 2 3 4 5; do echo out$i; sleep 0.2; echo err$i >&2; sleep 0.2; done; printf "no newline"';
    mixed = (await fx.run({ command: ["sh", "-c", script] })).id;
    await fx.agent.waitContainer({ id: mixed });
  });

  const all = ["out1", "err1", "out2", "err2", "out3", "err3", "out4", "err4", "out5", "err5"].map(
    (t) => `${t.startsWith("out") ? "STDOUT" : "STDERR"}:${t}`,
  );

  for (const protocol of ["grpc", "grpcweb", "connect"] satisfies WireProtocol[]) {
    it(`sends each line once, marked with its stream, without frame headers (${protocol})`, async () => {
      const { lines } = await readAll({ id: mixed }, protocol);
      expect(plain(lines)).toEqual([...all, "STDOUT:no newline"]);
      expect(lines.every((l) => l.time === undefined)).toBe(true);
    });
  }

  it("reads stdout only, stderr only, and the last N lines", async () => {
    expect(plain((await readAll({ id: mixed, streams: [OutputStream.STDOUT] })).lines)).toEqual([
      ...all.filter((l) => l.startsWith("STDOUT")),
      "STDOUT:no newline",
    ]);
    expect(plain((await readAll({ id: mixed, streams: [OutputStream.STDERR] })).lines)).toEqual(
      all.filter((l) => l.startsWith("STDERR")),
    );
    expect(plain((await readAll({ id: mixed, tail: 3 })).lines)).toEqual([
      "STDOUT:out5",
      "STDERR:err5",
      "STDOUT:no newline",
    ]);
    // The engine counts the tail over both streams, then leaves out the stream not asked for.
    expect(plain((await readAll({ id: mixed, tail: 3, streams: [OutputStream.STDERR] })).lines)).toEqual([
      "STDERR:err5",
    ]);
    expect((await readAll({ id: mixed, tail: 0 })).lines).toEqual([]);
  });

  it("gives each line its time to the nanosecond, and since/until select by it (both inclusive)", async () => {
    const { lines } = await readAll({ id: mixed, timestamps: true });
    expect(lines).toHaveLength(11);
    const times = lines.map((l) => (l.time?.seconds ?? 0n) * 1_000_000_000n + BigInt(l.time?.nanos ?? 0));
    expect(times.every((t, i) => t > 0n && (i === 0 || t >= (times[i - 1] as bigint)))).toBe(true);
    const window = await readAll({ id: mixed, since: lines[2]?.time, until: lines[5]?.time });
    expect(plain(window.lines)).toEqual(all.slice(2, 6));
  });

  it("batches a large log into few messages, in order, with every line", async () => {
    const big = (await fx.run({ command: ["seq", "1", "20000"] })).id;
    await fx.agent.waitContainer({ id: big });
    const { lines, messages } = await readAll({ id: big });
    expect(lines.map((l) => l.text)).toEqual(Array.from({ length: 20000 }, (_, i) => String(i + 1)));
    expect(messages).toBeLessThan(2000);
  });

  it("reads a Tty container's output as stdout only, without carriage returns", async () => {
    const tty = await runDirect("echo to-out; echo to-err >&2; echo last", true);
    await fx.agent.waitContainer({ id: tty });
    const { lines } = await readAll({ id: tty, timestamps: true });
    expect(plain(lines)).toEqual(["STDOUT:to-out", "STDOUT:to-err", "STDOUT:last"]);
    expect(lines.every((l) => l.time !== undefined)).toBe(true);
  });

  for (const tty of [false, true]) {
    it(`follows a running container and ends cleanly when it exits (tty ${tty})`, async () => {
      const id = await runDirect("echo ready; sleep 2; echo bye; sleep 0.2; echo oops >&2", tty);
      const stream = fx.agent.streamLogs({ id, follow: true })[Symbol.asyncIterator]();
      const seen: string[] = [];
      while (!seen.includes("STDOUT:ready")) {
        const next = await stream.next();
        expect(next.done).toBe(false);
        seen.push(...plain(linesOf(next.value)));
      }
      // The stream is open and waiting; the container now exits on its own.
      for (;;) {
        const next = await stream.next();
        if (next.done) break;
        seen.push(...plain(linesOf(next.value)));
      }
      expect(seen).toEqual(["STDOUT:ready", "STDOUT:bye", tty ? "STDOUT:oops" : "STDERR:oops"]);
    });
  }

  it("cuts a line longer than 64 KiB into parts marked continued, and hands on a line without end as it grows", async () => {
    const id = await runDirect(
      "head -c 200000 /dev/zero | tr '\\0' a; echo; head -c 100000 /dev/zero | tr '\\0' b; sleep 3600",
      false,
    );
    const parts: Array<{ text: string; continued: boolean }> = [];
    const stop = new AbortController();
    const has = (letter: string) =>
      parts.filter((p) => p.text.startsWith(letter)).reduce((n, p) => n + p.text.length, 0);
    try {
      for await (const message of clientFor(ContainerAgent, fx.server.url, "grpc").streamLogs(
        { id, follow: true },
        { signal: stop.signal },
      )) {
        for (const run of message.runs)
          run.lines.forEach((text, i) => parts.push({ text, continued: run.continued.includes(i) }));
        // The b line has no end: only its first 64 KiB can come while the container runs.
        if (has("a") === 200_000 && has("b") >= 64 * 1024) break;
      }
    } finally {
      stop.abort();
    }
    expect(parts.every((p) => Buffer.byteLength(p.text) <= 64 * 1024)).toBe(true);
    const a = parts.filter((p) => p.text.startsWith("a"));
    expect(a.map((p) => p.text).join("")).toBe("a".repeat(200_000));
    expect(a.map((p) => p.continued)).toEqual([true, true, true, false]);
    const b = parts.filter((p) => p.text.startsWith("b"));
    expect(b).toEqual([{ text: "b".repeat(64 * 1024), continued: true }]);
    await fx.engine.docker.getContainer(id).remove({ force: true });
  });

  it("over gRPC-web to buf curl", async () => {
    const result = await runCommand("npx", [
      "buf",
      "curl",
      "--protocol",
      "grpcweb",
      "--schema",
      "proto",
      "-d",
      JSON.stringify({ id: mixed, streams: ["OUTPUT_STREAM_STDERR"], timestamps: true }),
      `${fx.server.url}/dockhand.v1.ContainerAgent/StreamLogs`,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const texts = [...result.stdout.matchAll(/"lines": (\[[^\]]*\])/g)].flatMap(
      (m) => JSON.parse(m[1] as string) as string[],
    );
    expect(texts).toEqual(["err1", "err2", "err3", "err4", "err5"]);
    expect(result.stdout).toMatch(/"times": \[\s*"20\d\d-/);
    expect(result.stdout).toContain('"stream": "OUTPUT_STREAM_STDERR"');
  });

  it("refuses bad requests with INVALID_ARGUMENT naming the field, and a missing container with NOT_FOUND", async () => {
    const read = (request: LogsRequest) => readAll(request);
    await expectCode(read({ id: "" }), Code.InvalidArgument, "id");
    await expectCode(read({ id: "../etc" }), Code.InvalidArgument, "id");
    await expectCode(read({ id: mixed, tail: -1 }), Code.InvalidArgument, "tail");
    await expectCode(
      read({ id: mixed, since: { seconds: 2000n }, until: { seconds: 1000n } }),
      Code.InvalidArgument,
      "until",
    );
    await expectCode(read({ id: mixed, streams: [OutputStream.UNSPECIFIED] }), Code.InvalidArgument, "streams[0]");
    await expectCode(
      read({ id: mixed, streams: [OutputStream.STDOUT, 7 as OutputStream] }),
      Code.InvalidArgument,
      "streams[1]",
    );
    await expectCode(read({ id: `t-logs-absent-${process.pid}` }), Code.NotFound, `t-logs-absent-${process.pid}`);
  });
});

describe("ContainerAgent.StreamLogs: cancelling closes the engine connection", () => {
  const env = useSecondEngineServer("logs");

  it("a cancelled follow stream, and a client that went away, leave no connection open on the engine", async () => {
    const { second } = env;
    // Quiet after its first line: nothing but the cancel can end a read that waits for more.
    const id = await env.run("echo tick; exec sleep 3600");
    const inUse = () => socketsInUse(second.socketPath);
    const idle = await steady(inUse);
    const before = await steady(() => daemonConnections(second.socketPath));

    const controllers = [new AbortController(), new AbortController(), new AbortController()];
    const streams = controllers.map((c) =>
      env.agent.streamLogs({ id, follow: true }, { signal: c.signal })[Symbol.asyncIterator](),
    );
    for (const stream of streams) expect((await stream.next()).value?.runs[0]?.lines[0]).toBe("tick");
    // The server's engine health ping can hold one more for a moment.
    await until(() => inUse() === idle + 3, 10_000);
    expect(inUse()).toBe(idle + 3);
    // Seen from the daemon as well (a stream may reuse an idle keep-alive connection).
    expect(daemonConnections(second.socketPath)).toBeGreaterThanOrEqual(idle + 3);

    for (const controller of controllers) controller.abort();
    for (const stream of streams)
      await stream.next().catch((err: unknown) => expect(ConnectError.from(err).code).toBe(Code.Canceled));
    await until(() => inUse() === idle && daemonConnections(second.socketPath) <= before, 10_000);
    expect(inUse()).toBe(idle);
    expect(daemonConnections(second.socketPath)).toBeLessThanOrEqual(before);

    // buf curl killed mid-stream: the server sees the connection drop.
    const curl = spawn(
      "npx",
      [
        "buf",
        "curl",
        "--protocol",
        "grpcweb",
        "--schema",
        "proto",
        "-d",
        JSON.stringify({ id, follow: true }),
        `${env.server.url}/dockhand.v1.ContainerAgent/StreamLogs`,
      ],
      {
        stdio: ["ignore", "pipe", "ignore"],
        detached: true,
      },
    );
    let out = "";
    curl.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    const exited = new Promise<void>((resolve) => curl.once("exit", () => resolve()));
    await until(() => out.includes("tick"), 10_000);
    expect(out).toMatch(/"lines": \[\s*"tick"/);
    await until(() => inUse() === idle + 1, 10_000);
    expect(inUse()).toBe(idle + 1);
    process.kill(-(curl.pid as number), "SIGTERM");
    await exited;
    await until(() => inUse() === idle && daemonConnections(second.socketPath) <= before, 10_000);
    expect(inUse()).toBe(idle);
    expect(daemonConnections(second.socketPath)).toBeLessThanOrEqual(before);
  });
});
