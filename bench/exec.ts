/**
 * npm run bench:exec — interactive sessions and copies through dockhand (its own process, over
 * gRPC) against the Docker API called directly with dockerode in the same run:
 * - exec-keystroke-p50 / -p99: one byte typed into a `cat` on a terminal until its echo comes
 *   back, through ExecSession against dockerode's hijacked exec (target <= 1.3x);
 * - exec-output: MB/s of `head -c 100M /dev/zero` read whole, ExecSession without a terminal
 *   against the hijacked exec demuxed here (target >= 0.7x);
 * - copy-in / copy-out: 100 MB file through CopyToContainerStream / CopyFromContainer against
 *   the engine's put-archive / get-archive (target >= 0.8x);
 * - exec-sessions-100: dockhand's RSS growth per idle session with 100 terminal sessions open,
 *   against a plain Node process's growth holding 100 hijacked execs directly
 *   (bench/exec-direct-sessions.ts; target <= 64 KB).
 * BENCH_EXEC_MB sets the size of the output and copies (default 100). The client asks for a 4 MiB
 * HTTP/2 stream window, as a bulk-transfer client does (`dockhand cp`): with the default 64 KiB,
 * a download waits for a window update every 64 KiB.
 */
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import type { Duplex } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { CopyFormat, type ExecSessionRequestSchema } from "../gen/dockhand/v1/agent_interactive_pb.js";
import { ContainerAgent } from "../gen/dockhand/v1/container_agent_pb.js";
import { createDockerEngine } from "../src/engine/docker/docker-engine.js";
import { createFrameDemuxer } from "../src/engine/frame-demuxer.js";
import { tarEnd, tarFileHeader, tarPadding } from "../src/engine/tar-writer.js";
import { requestQueue, type RequestQueue } from "../test/support/bidi-session.js";
import { testImage } from "../test/support/engine.js";
import { cleanupOnExit, memoryOf, percentile, printFigure, startDockhandChild, median } from "./support.js";

type Request = MessageInitShape<typeof ExecSessionRequestSchema>;

const megabytes = Number(process.env.BENCH_EXEC_MB ?? 100);
const bytes = megabytes * 1024 * 1024;
const keystrokes = 300;
const warmup = 30;
const idleSessions = 100;
const dockerUrl = process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";

const engine = createDockerEngine({ url: dockerUrl });
const docker = engine.docker;
const name = `bench-exec-${process.pid}`;
const server = await startDockhandChild("dockhand-bench-exec", dockerUrl);
const container = await docker.createContainer({
  name,
  Image: testImage,
  Cmd: ["sleep", "3600"],
  HostConfig: { Init: true },
});
const done = cleanupOnExit(async () => {
  await container.remove({ force: true }).catch(() => undefined);
  await server.stop();
});
await container.start();
const agent: Client<typeof ContainerAgent> = createClient(
  ContainerAgent,
  createGrpcTransport({ baseUrl: server.url, nodeOptions: { settings: { initialWindowSize: 4 * 1024 * 1024 } } }),
);

/** A hijacked exec straight from dockerode, as `docker exec -i [-t]` opens one. */
async function directExec(command: string[], tty: boolean): Promise<{ socket: Duplex; id: string }> {
  const exec = await container.exec({
    Cmd: command,
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: tty,
  });
  const socket = (await exec.start({ hijack: true, stdin: true, Tty: tty })) as unknown as Duplex;
  return { socket, id: exec.id };
}

/** An ExecSession through dockhand: its request queue and its responses. */
function session(command: string[], tty: boolean) {
  const requests: RequestQueue<Request> = requestQueue<Request>();
  requests.push({ item: { case: "open", value: { id: name, command, tty, stdin: true } } });
  const responses = agent.execSession(requests)[Symbol.asyncIterator]();
  return { requests, responses };
}

/** The time for one byte to come back, `count` times after `warmup` unmeasured. */
async function keystrokeTimes(send: () => void, echoed: () => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < warmup + keystrokes; i++) {
    const start = performance.now();
    send();
    await echoed();
    if (i >= warmup) times.push(performance.now() - start);
  }
  return times;
}

async function dockhandKeystrokes(): Promise<number[]> {
  const { requests, responses } = session(["cat"], true);
  const first = await responses.next();
  if (first.value?.item.case !== "started") throw new Error("the session did not start");
  const times = await keystrokeTimes(
    () => requests.push({ item: { case: "stdin", value: Buffer.from("a") } }),
    async () => {
      for (;;) {
        const next = await responses.next();
        if (next.done) throw new Error("the session ended");
        if (next.value.item.case === "output" && next.value.item.value.data.length > 0) return;
      }
    },
  );
  requests.push({ item: { case: "stdin", value: Buffer.from([0x04]) } });
  requests.end();
  while (!(await responses.next()).done);
  return times;
}

async function directKeystrokes(): Promise<number[]> {
  const { socket } = await directExec(["cat"], true);
  const iterator = (socket as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const times = await keystrokeTimes(
    () => socket.write("a"),
    async () => {
      const next = await iterator.next();
      if (next.done) throw new Error("the exec ended");
    },
  );
  socket.destroy();
  return times;
}

const producer = ["head", "-c", String(bytes), "/dev/zero"];

async function dockhandOutputSeconds(): Promise<number> {
  const start = performance.now();
  let received = 0;
  const requests = requestQueue<Request>();
  requests.push({ item: { case: "open", value: { id: name, command: producer } } });
  requests.end();
  for await (const m of agent.execSession(requests)) if (m.item.case === "output") received += m.item.value.data.length;
  if (received !== bytes) throw new Error(`ExecSession gave ${received} bytes, not ${bytes}`);
  return (performance.now() - start) / 1000;
}

async function directOutputSeconds(): Promise<number> {
  const start = performance.now();
  const exec = await container.exec({ Cmd: producer, AttachStdout: true, AttachStderr: true });
  const socket = (await exec.start({ hijack: true, stdin: false })) as unknown as Duplex;
  const demuxer = createFrameDemuxer();
  let received = 0;
  for await (const chunk of socket as AsyncIterable<Buffer>)
    for (const frame of demuxer.push(chunk)) received += frame.data.length;
  if (received !== bytes) throw new Error(`the direct exec gave ${received} bytes, not ${bytes}`);
  return (performance.now() - start) / 1000;
}

const payload = Buffer.alloc(bytes, 0x5a);
const chunkBytes = 64 * 1024;

async function dockhandCopyInSeconds(): Promise<number> {
  const start = performance.now();
  await agent.copyToContainerStream(
    (async function* () {
      yield { item: { case: "open" as const, value: { id: name, path: "/copy-in.bin", format: CopyFormat.FILE } } };
      for (let at = 0; at < payload.length; at += chunkBytes)
        yield { item: { case: "chunk" as const, value: payload.subarray(at, at + chunkBytes) } };
    })(),
  );
  return (performance.now() - start) / 1000;
}

async function directCopyInSeconds(): Promise<number> {
  const start = performance.now();
  await engine.containers.putArchive(
    name,
    "/",
    (async function* () {
      yield tarFileHeader({ path: "copy-in-direct.bin", mode: 0o644, uid: 0, gid: 0 }, payload.length);
      for (let at = 0; at < payload.length; at += chunkBytes) yield payload.subarray(at, at + chunkBytes);
      yield tarPadding(payload.length);
      yield tarEnd;
    })(),
  );
  return (performance.now() - start) / 1000;
}

async function dockhandCopyOutSeconds(): Promise<number> {
  const start = performance.now();
  let received = 0;
  for await (const m of agent.copyFromContainer({ id: name, path: "/copy-in.bin" }))
    if (m.item.case === "chunk") received += m.item.value.length;
  if (received < bytes) throw new Error(`CopyFromContainer gave ${received} bytes`);
  return (performance.now() - start) / 1000;
}

async function directCopyOutSeconds(): Promise<number> {
  const start = performance.now();
  const read = await engine.containers.getArchive(name, "/copy-in.bin");
  let received = 0;
  for await (const chunk of read.tar) received += chunk.length;
  if (received < bytes) throw new Error(`get-archive gave ${received} bytes`);
  return (performance.now() - start) / 1000;
}

/** Three runs of each, interleaved; the median. */
async function interleaved(a: () => Promise<number>, b: () => Promise<number>): Promise<[number, number]> {
  const as: number[] = [];
  const bs: number[] = [];
  for (let i = 0; i < 3; i++) {
    as.push(await a());
    bs.push(await b());
  }
  return [median(as), median(bs)];
}

/** RSS growth per idle session, in KB, of `pid` once `open` has opened `idleSessions` of them. */
async function perSessionKb(rssMb: () => number, open: () => Promise<() => Promise<void>>): Promise<number> {
  await sleep(1000);
  const before = rssMb();
  const close = await open();
  await sleep(2000);
  const after = rssMb();
  await close();
  return ((after - before) * 1024) / idleSessions;
}

async function dockhandIdleSessions(): Promise<() => Promise<void>> {
  const sessions = Array.from({ length: idleSessions }, () => session(["sh"], true));
  for (const s of sessions) {
    const first = await s.responses.next();
    if (first.value?.item.case !== "started") throw new Error("an idle session did not start");
  }
  return async () => {
    for (const s of sessions) {
      s.requests.push({ item: { case: "stdin", value: Buffer.from("exit\n") } });
      s.requests.end();
    }
    for (const s of sessions) while (!(await s.responses.next()).done);
  };
}

/** The same number of execs held by a plain Node process of its own (bench/exec-direct-sessions.ts): its RSS growth per session, in KB. */
async function directPerSessionKb(): Promise<number> {
  const child = spawn(
    process.execPath,
    ["--expose-gc", "--import", "tsx", "bench/exec-direct-sessions.ts", name, String(idleSessions)],
    {
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const expect = async (line: string) => {
    const next = await lines.next();
    if (next.value !== line) throw new Error(`the direct sessions' process said ${String(next.value)}, not ${line}`);
  };
  await expect("loaded");
  const kb = await perSessionKb(
    () => memoryOf(child.pid!).rssMb,
    async () => {
      child.stdin.write("open\n");
      await expect("opened");
      return async () => void child.stdin.end();
    },
  );
  await new Promise((resolve) => child.once("exit", resolve));
  return kb;
}

try {
  // First, before the large transfers leave both processes' memory inflated and shrinking.
  const ours = await perSessionKb(() => memoryOf(server.pid).rssMb, dockhandIdleSessions);
  const direct = await directPerSessionKb();
  printFigure({
    bench: "exec-sessions-100",
    unit: "KB/session",
    dockhand: ours,
    baseline: direct,
    target: "dockhand<=64",
  });
  const ourKeys = await dockhandKeystrokes();
  const directKeys = await directKeystrokes();
  for (const p of [50, 99]) {
    printFigure({
      bench: `exec-keystroke-p${p}`,
      unit: "ms",
      dockhand: percentile(ourKeys, p),
      baseline: percentile(directKeys, p),
      target: "<=1.3",
      digits: 3,
    });
  }
  const [ourOutput, directOutput] = await interleaved(dockhandOutputSeconds, directOutputSeconds);
  printFigure({
    bench: "exec-output",
    unit: "MB/s",
    dockhand: megabytes / ourOutput,
    baseline: megabytes / directOutput,
    target: ">=0.7",
  });
  const [ourIn, directIn] = await interleaved(dockhandCopyInSeconds, directCopyInSeconds);
  printFigure({
    bench: "copy-in",
    unit: "MB/s",
    dockhand: megabytes / ourIn,
    baseline: megabytes / directIn,
    target: ">=0.8",
  });
  const [ourOut, directOut] = await interleaved(dockhandCopyOutSeconds, directCopyOutSeconds);
  printFigure({
    bench: "copy-out",
    unit: "MB/s",
    dockhand: megabytes / ourOut,
    baseline: megabytes / directOut,
    target: ">=0.8",
  });
} finally {
  await done();
}
