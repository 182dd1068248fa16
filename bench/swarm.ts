/**
 * npm run bench:swarm — the swarm backend on a three-node swarm of this machine's own
 * (test/support/swarm), dockhand in its own process with `--orchestrator swarm`:
 * - swarm-scale-up-30 (s): Scale 0→30 with wait, against the same work done raw (a service
 *   update to 30 replicas, then listing its tasks every 100 ms until 30 run), alternating,
 *   median of BENCH_ROUNDS (default 3) each;
 * - swarm-status-throughput (calls/s): GetStatus of the 30-task service over gRPC (h2load, 32
 *   connections, one call each in flight), answered from the event-fed view, against listing
 *   the service's tasks from the manager per call (32 callers in flight);
 * - swarm-spread (tasks): the fewest tasks on any node after a Scale to 30, against the same
 *   count of the raw service.
 * - swarm-heal-ready and swarm-secret-rotate (s): see ./swarm-workload.ts.
 * BENCH_SECONDS sets the time per throughput measurement (default 10).
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { performance } from "node:perf_hooks";
import { ServiceRegistry } from "../gen/dockhand/v1/registry_pb.js";
import { create, toBinary } from "@bufbuild/protobuf";
import { GetStatusRequestSchema, Scaler } from "../gen/dockhand/v1/scaler_pb.js";
import { createDockerSwarm } from "../src/engine/docker/docker-swarm.js";
import type { SwarmEngine, SwarmServiceSpec } from "../src/engine/swarm.js";
import { testImage } from "../test/support/engine.js";
import { startTestSwarm } from "../test/support/swarm/three-node-swarm.js";
import { ensureH2load, runH2load } from "./h2load.js";
import { cleanupOnExit, median, printFigure, startDockhandChild, type DockhandChild } from "./support.js";
import { measureWorkload } from "./swarm-workload.js";

const count = 30;
const callers = 32;
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);

/** `callers` loops calling `call` back to back for `seconds`; returns calls per second. */
async function throughput(call: () => Promise<unknown>): Promise<number> {
  let calls = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < until) {
        await call();
        calls++;
      }
    }),
  );
  return calls / ((performance.now() - started) / 1000);
}

/** The raw baseline's service: what dockhand makes of the same definition. */
function rawSpec(name: string): SwarmServiceSpec {
  const update = {
    parallelism: 1,
    delayMs: 0,
    order: "stop-first" as const,
    monitorMs: 5000,
    failureAction: "pause" as const,
  };
  return {
    name,
    labels: {},
    image: testImage,
    command: ["sleep", "3600"],
    env: {},
    containerLabels: {},
    ports: [],
    memoryBytes: 0,
    nanoCpus: 0,
    init: true,
    restart: { condition: "any", maxAttempts: 0 },
    stopGraceSeconds: 1,
    replicas: 0,
    update,
    rollback: update,
    mounts: [],
    readOnly: false,
    networks: [],
    secrets: [],
    configs: [],
  };
}

async function runningTasks(swarm: SwarmEngine, name: string): Promise<Array<{ nodeId: string }>> {
  return (await swarm.tasks.list({ service: name })).filter(
    (t) => t.state === "running" && t.desiredState === "running",
  );
}

/** Raw: update to `replicas` at the service's version, then poll its tasks until that many run and no other is current. */
async function rawScale(swarm: SwarmEngine, name: string, replicas: number): Promise<number> {
  const started = performance.now();
  const service = await swarm.services.inspect(name);
  await swarm.services.update(service.id, service.version, { ...service.spec, replicas });
  for (;;) {
    const tasks = await swarm.tasks.list({ service: name });
    const running = tasks.filter((t) => t.state === "running" && t.desiredState === "running").length;
    const current = tasks.filter((t) => t.desiredState === "running" || t.state === "running").length;
    if (running === replicas && current === replicas) return (performance.now() - started) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const cluster = await startTestSwarm();
let dockhand: DockhandChild | undefined;
const swarm = createDockerSwarm({ url: cluster.manager.url });
const cleanup = cleanupOnExit(async () => {
  await dockhand?.stop();
  await cluster.destroy();
});
try {
  dockhand = await startDockhandChild("bench-swarm", cluster.manager.url, [], { args: ["--orchestrator", "swarm"] });
  const transport = createGrpcTransport({ baseUrl: dockhand.url });
  const scaler = createClient(Scaler, transport);
  const registry = createClient(ServiceRegistry, transport);
  const name = `bench-swarm-${process.pid}`;
  const raw = `bench-swarm-raw-${process.pid}`;
  await registry.createService({
    service: { name, image: testImage, command: ["sleep", "3600"], init: true, stopGracePeriod: { seconds: 1n } },
  });
  await swarm.services.create(rawSpec(raw));

  const dockhandTimes: number[] = [];
  const rawTimes: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // Alternating which goes first, so that neither always meets the machine fresher.
    const order = round % 2 === 0 ? ["dockhand", "raw"] : ["raw", "dockhand"];
    for (const which of order) {
      if (which === "dockhand") {
        const started = performance.now();
        const answer = await scaler.scale({ name, replicas: count });
        dockhandTimes.push((performance.now() - started) / 1000);
        if (answer.status?.running !== count) throw new Error(`Scale answered ${answer.status?.running} running`);
      } else {
        rawTimes.push(await rawScale(swarm, raw, count));
      }
    }
    console.error(
      `round ${round + 1}: dockhand ${dockhandTimes.at(-1)!.toFixed(2)} s, raw ${rawTimes.at(-1)!.toFixed(2)} s`,
    );
    if (round < rounds - 1) {
      await scaler.scale({ name, replicas: 0 });
      await rawScale(swarm, raw, 0);
    }
  }

  const spread = (nodeOfTask: string[]) =>
    Math.min(...cluster.nodes.map((node) => nodeOfTask.filter((n) => n === node.hostname).length));
  const status = (await scaler.getStatus({ name })).status!;
  const dockhandSpread = spread(status.containers.map((c) => c.nodeName));
  const hostnames = new Map([...(await cluster.nodeIds()).entries()].map(([hostname, id]) => [id, hostname]));
  const rawSpread = spread((await runningTasks(swarm, raw)).map((t) => hostnames.get(t.nodeId) ?? ""));

  // h2load (C) as the gRPC client where it can be had: a JavaScript client would take more of
  // the two cores per call than dockhand does, and measure itself.
  const h2load = ensureH2load()
    ? runH2load(
        dockhand.url,
        "/dockhand.v1.Scaler/GetStatus",
        toBinary(GetStatusRequestSchema, create(GetStatusRequestSchema, { name })),
        callers,
        seconds,
      )
    : undefined;
  if (h2load?.failed) throw new Error(`${h2load.failed} GetStatus calls failed`);
  const viaDockhand =
    h2load?.perSecond ??
    (await throughput(async () => {
      const answer = await scaler.getStatus({ name });
      if (answer.status?.running !== count) throw new Error("GetStatus lost tasks");
    }));
  console.error(
    h2load
      ? "GetStatus measured with h2load, 32 connections"
      : "h2load could not be had: GetStatus measured with the connect-node client",
  );
  const viaTasks = await throughput(async () => {
    if ((await runningTasks(swarm, raw)).length !== count) throw new Error("task list lost tasks");
  });
  console.error(`GetStatus ${Math.round(viaDockhand)}/s, task listing ${Math.round(viaTasks)}/s`);

  await scaler.scale({ name, replicas: 0 });
  await rawScale(swarm, raw, 0);
  const workload = await measureWorkload({ cluster, swarm, scaler, registry, rawSpec, rounds });

  printFigure({
    bench: "swarm-scale-up-30",
    unit: "s",
    dockhand: median(dockhandTimes),
    baseline: median(rawTimes),
    target: "<=1.1",
  });
  printFigure({
    bench: "swarm-status-throughput",
    unit: "calls/s",
    dockhand: viaDockhand,
    baseline: viaTasks,
    target: ">=20",
    digits: 0,
  });
  printFigure({
    bench: "swarm-spread",
    unit: "tasks",
    dockhand: dockhandSpread,
    baseline: rawSpread,
    target: "dockhand>=8",
    digits: 0,
  });
  printFigure({ bench: "swarm-heal-ready", unit: "s", ...workload.heal, target: "<=1.2" });
  printFigure({ bench: "swarm-secret-rotate", unit: "s", ...workload.rotate, target: "<=1.2" });
} finally {
  await cleanup();
}
