/**
 * ListContainers with 200 containers on the engine: dockhand over gRPC against a direct
 * dockerode listContainers with the same filter, interleaved in one run. Prints one JSON line
 * per figure: list-containers-p50 and list-containers-p99 (ms).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ContainerAgent } from "../gen/dockhand/v1/container_agent_pb.js";
import { createDockerEngine } from "../src/engine/docker/docker-engine.js";
import { defaults } from "../src/app/config.js";

const containerCount = 200;
const warmup = 30;
const iterations = 300;
const image = "dockhand-test/busybox:1";
const dockerUrl = process.env.DOCKER_HOST ?? defaults.dockerUrl;
const labelKey = "dockhand-bench.agent";
const run = `${process.pid}-${Date.now().toString(36)}`;
const selector = `${labelKey}=${run}`;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function timed(task: () => Promise<number>, expected: number): Promise<number> {
  const start = performance.now();
  const count = await task();
  const elapsed = performance.now() - start;
  if (count !== expected) throw new Error(`listed ${count} containers, expected ${expected}`);
  return elapsed;
}

async function createContainers(engine: ReturnType<typeof createDockerEngine>): Promise<void> {
  let next = 0;
  // Created, never started: the list call costs the engine the same, the machine much less.
  const worker = async () => {
    while (next < containerCount) {
      const slot = next++;
      await engine.containers.create({
        name: `bench-agent-${run}-${slot}`,
        image,
        command: ["sleep", "3600"],
        labels: { [labelKey]: run },
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** Removes every container of this run; retried, since a loaded engine may fail a few removals. */
async function removeContainers(engine: ReturnType<typeof createDockerEngine>): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const left = await engine.containers.list({ all: true, labels: [selector] });
    if (left.length === 0) return;
    let next = 0;
    const worker = async () => {
      while (next < left.length) {
        const container = left[next++];
        if (container)
          await engine.containers.remove(container.id, { force: true, volumes: true }).catch(() => undefined);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  }
  console.error(`bench: some containers labelled ${selector} could not be removed`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * dockhand as it is deployed: its own process, default log level (one line per RPC, sent to
 * /dev/null here), so that its CPU work and garbage are not the benchmark client's.
 */
async function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "src/main.ts", "--port", String(port), "--data-dir", dataDir, "--docker-url", dockerUrl],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const url = `http://127.0.0.1:${port}`;
  const probe = createClient(ContainerAgent, createGrpcTransport({ baseUrl: url }));
  for (let attempt = 0; attempt < 100; attempt++) {
    if (child.exitCode !== null) throw new Error(`dockhand exited with code ${child.exitCode}`);
    try {
      await probe.listContainers({ labelSelector: [selector] });
      return { child, url };
    } catch {
      await sleep(100);
    }
  }
  child.kill();
  throw new Error("dockhand did not answer within 10 s");
}

async function measure(agent: Client<typeof ContainerAgent>, docker: ReturnType<typeof createDockerEngine>["docker"]) {
  const viaDockhand = async () =>
    (await agent.listContainers({ all: true, labelSelector: [selector] })).containers.length;
  const viaDockerode = async () => (await docker.listContainers({ all: true, filters: { label: [selector] } })).length;
  for (let i = 0; i < warmup; i++) {
    await timed(viaDockhand, containerCount);
    await timed(viaDockerode, containerCount);
  }
  const dockhand: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < iterations; i++) {
    // Alternate which goes first, so that neither always meets a warmer engine.
    if (i % 2 === 0) {
      dockhand.push(await timed(viaDockhand, containerCount));
      baseline.push(await timed(viaDockerode, containerCount));
    } else {
      baseline.push(await timed(viaDockerode, containerCount));
      dockhand.push(await timed(viaDockhand, containerCount));
    }
  }
  return { dockhand, baseline };
}

async function main(): Promise<void> {
  execFileSync("bash", ["scripts/build-test-image.sh", image], { stdio: "inherit" });
  const engine = createDockerEngine({ url: dockerUrl });
  const dataDir = mkdtempSync(join(tmpdir(), "dockhand-bench-agent-"));
  const server = await startServer(dataDir);
  const stop = () => {
    server.child.kill();
    void removeContainers(engine).finally(() => process.exit(130));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    await createContainers(engine);
    const agent = createClient(ContainerAgent, createGrpcTransport({ baseUrl: server.url }));
    const { dockhand, baseline } = await measure(agent, engine.docker);
    for (const p of [50, 99]) {
      const ours = percentile(dockhand, p);
      const theirs = percentile(baseline, p);
      const round = (value: number) => Math.round(value * 100) / 100;
      console.log(
        JSON.stringify({
          bench: `list-containers-p${p}`,
          unit: "ms",
          dockhand: round(ours),
          baseline: round(theirs),
          ratio: round(ours / theirs),
          target: "<=1.3",
        }),
      );
    }
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    await removeContainers(engine);
    const exited = new Promise((resolve) => server.child.once("exit", resolve));
    if (server.child.exitCode === null && server.child.kill("SIGTERM")) await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
