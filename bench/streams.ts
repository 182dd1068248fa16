/**
 * npm run bench:streams — StreamLogs throughput of one container's 100k log lines to a gRPC
 * client (HTTP/2), against a direct dockerode read of the same logs (the whole log as one
 * Buffer, demuxed, lines counted), rounds interleaved in one run. The container runs to
 * completion first, so both read the same finished log from the engine. dockhand runs as its
 * own process, as deployed, so that the client's decoding does not share its thread. Each
 * figure is the best round: the machine is shared, and other load only ever slows a round.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ContainerAgent } from "../gen/dockhand/v1/container_agent_pb.js";
import { demuxBuffer } from "../src/engine/frame-demuxer.js";
import { spawnDockhand } from "../test/support/dockhand-process.js";
import { dockerUrl, ensureTestImage, requireEngine, testImage } from "../test/support/engine.js";

const lines = 100_000;
const rounds = Number(process.env.BENCH_ROUNDS ?? 7);
const target = 0.7;

const engine = await requireEngine();
ensureTestImage();
const docker = engine.docker;
const dataDir = mkdtempSync(join(tmpdir(), "dockhand-bench-streams-"));
const server = await spawnDockhand(["--data-dir", dataDir, "--docker-url", dockerUrl, "--log-level", "info"]);
const agent = createClient(ContainerAgent, createGrpcTransport({ baseUrl: server.url }));
const container = await docker.createContainer({
  name: `dockhand-bench-streams-${process.pid}`,
  Image: testImage,
  Cmd: ["seq", "1", String(lines)],
  Labels: { "dockhand.bench": `streams-${process.pid}` },
});

/** Lines per second of one full read; fails when a read does not see every line. */
async function rate(read: () => Promise<number>): Promise<number> {
  const started = performance.now();
  const counted = await read();
  const seconds = (performance.now() - started) / 1000;
  if (counted !== lines) throw new Error(`read ${counted} lines, expected ${lines}`);
  return lines / seconds;
}

/** dockerode's own way: the whole log as one Buffer, demuxed, newlines counted. */
async function baseline(): Promise<number> {
  const log = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  let count = 0;
  for (const frame of demuxBuffer(log)) {
    for (let at = frame.data.indexOf(10); at >= 0; at = frame.data.indexOf(10, at + 1)) count++;
  }
  return count;
}

async function dockhand(): Promise<number> {
  let count = 0;
  for await (const message of agent.streamLogs({ id: container.id })) {
    for (const run of message.runs) count += run.lines.length;
  }
  return count;
}

try {
  await container.start();
  await container.wait();
  // One unmeasured read of each: connections opened, code warmed up, the log in the page cache.
  await rate(baseline);
  await rate(dockhand);
  const measured = { dockhand: [] as number[], baseline: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    measured.baseline.push(await rate(baseline));
    measured.dockhand.push(await rate(dockhand));
  }
  const dockhandRate = Math.round(Math.max(...measured.dockhand));
  const baselineRate = Math.round(Math.max(...measured.baseline));
  console.log(
    JSON.stringify({
      bench: "stream-logs",
      unit: "lines/s",
      dockhand: dockhandRate,
      baseline: baselineRate,
      ratio: Math.round((dockhandRate / baselineRate) * 100) / 100,
      target: `>=${target}`,
    }),
  );
} finally {
  await container.remove({ force: true }).catch(() => undefined);
  server.child.kill("SIGTERM");
  await server.exited;
  rmSync(dataDir, { recursive: true, force: true });
}
