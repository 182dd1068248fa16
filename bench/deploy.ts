/**
 * npm run bench:deploy — how dockhand's deployments decide. One JSON line per figure.
 *
 * Autoscale figures (this file's first section):
 * - autoscale-reaction: the time from a CPU step (a replica's busy loop switched on by an exec)
 *   to the new replica ready, as GetStatus shows it, against the policy's evaluation interval
 *   plus one container start (create and start through the engine's API) measured in the same
 *   run. Median of BENCH_ROUNDS steps (default 3). Target <= 1.5x.
 * - autoscale-flaps: count changes in BENCH_SECONDS (default 300, the 5 minutes) of
 *   steady load at the target: 2 replicas, one busy at 100 % of its CPU limit and one idle, so
 *   the average is the 50 % target. Baseline: the changes the bare rule ceil(value / target x
 *   count), without the tolerance band and cooldowns, would have made on the same values (read
 *   from /metrics after each evaluation). Target 0.
 *
 * Canary figures (the last section):
 * - canary-promote: the time from Scaler.Promote (one canary waiting beside 5 old replicas) to
 *   every replica on the new version, against today's rolling update of the same 6 replicas with
 *   the same policy (batches of 2, a 0.5 s health gate), alternating, median of BENCH_ROUNDS.
 *   Target <= 1.1x.
 *
 * Everything runs on a dockerd of the benchmark's own (see startPrivateEngine), removed at the end.
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import Docker from "dockerode";
import { ServiceRegistry } from "../gen/dockhand/v1/registry_pb.js";
import { Scaler, type ServiceStatus } from "../gen/dockhand/v1/scaler_pb.js";
import { AutoscaleMetric } from "../gen/dockhand/v1/service_pb.js";
import { testImage } from "../test/support/engine.js";
import { sample } from "../test/support/metrics.js";
import { cleanupOnExit, median, printFigure, startDockhandChild, startPrivateEngine } from "./support.js";
import { measureCanaryPromote } from "./deploy/canary-promote.js";

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const steadySeconds = Number(process.env.BENCH_SECONDS ?? 300);
const evaluationSeconds = 2;
const run = `${process.pid}-${Date.now().toString(36)}`;
/** Busy while /burn exists, idle otherwise. */
const burner = ["sh", "-c", "while true; do if [ -f /burn ]; then :; else sleep 0.2; fi; done"];

const engine = await startPrivateEngine(`bench-deploy-${process.pid}`);
const docker = new Docker({ socketPath: engine.socketPath });
let server: Awaited<ReturnType<typeof startDockhandChild>> | undefined;
const cleanup = cleanupOnExit(async () => {
  await server?.stop();
  await engine.destroy();
});

async function until(check: () => Promise<boolean>, timeoutMs = 120_000, pollMs = 50): Promise<number> {
  const started = performance.now();
  while (!(await check().catch(() => false))) {
    if (performance.now() - started > timeoutMs) throw new Error(`bench: condition not met within ${timeoutMs} ms`);
    await sleep(pollMs);
  }
  return performance.now();
}

async function exec(id: string, command: string[]): Promise<void> {
  const process = await docker.getContainer(id).exec({ Cmd: command });
  const stream = await process.start({});
  await new Promise((resolve) => {
    stream.on("end", resolve);
    stream.resume();
  });
}

/** One container start as the engine does it: create, then start, of the same image and command. */
async function containerStartMs(): Promise<number> {
  const started = performance.now();
  const container = await docker.createContainer({
    Image: testImage,
    Cmd: burner,
    name: `bench-deploy-start-${run}-${Math.random().toString(36).slice(2, 8)}`,
    HostConfig: { Init: true, NanoCpus: 200_000_000 },
  });
  await container.start();
  const ms = performance.now() - started;
  await container.remove({ force: true });
  return ms;
}

try {
  server = await startDockhandChild("bench-deploy", engine.url);
  const transport = createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" });
  const registry = createClient(ServiceRegistry, transport);
  const scaler = createClient(Scaler, transport);
  const status = async (name: string): Promise<ServiceStatus> => (await scaler.getStatus({ name })).status!;

  // ---- Autoscale figures ------------------------------------------------------------------
  const policy = {
    minReplicas: 1,
    maxReplicas: 2,
    metric: AutoscaleMetric.CPU_PERCENT,
    target: 50,
    evaluationInterval: { seconds: BigInt(evaluationSeconds) },
    cooldownUp: { seconds: 0n },
    cooldownDown: { seconds: 1n },
  };
  const service = (name: string, autoscale: typeof policy) => ({
    name,
    image: testImage,
    command: burner,
    init: true,
    resources: { cpuMillis: 200 },
    autoscale,
  });

  // autoscale-reaction
  const reactionName = `bench-autoscale-${run}`;
  await registry.createService({ service: service(reactionName, policy) });
  const reactions: number[] = [];
  const starts: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // Idle at min: one replica, and an evaluation has measured it.
    await until(async () => {
      const s = await status(reactionName);
      return s.desired === 1 && s.ready === 1 && s.lastAutoscaleDecision?.why.startsWith("cpu") === true;
    });
    starts.push(await containerStartMs());
    const first = (await status(reactionName)).containers.find((c) => c.slot === 1)!.id;
    const step = performance.now();
    await exec(first, ["touch", "/burn"]);
    const ready = await until(async () => (await status(reactionName)).ready >= 2);
    reactions.push(ready - step);
    console.error(`bench: autoscale-reaction round ${round + 1}: ${Math.round(ready - step)} ms`);
    await exec(first, ["rm", "/burn"]);
    await until(async () => {
      const s = await status(reactionName);
      return s.desired === 1 && s.running === 1;
    });
  }
  printFigure({
    bench: "autoscale-reaction",
    unit: "ms",
    dockhand: median(reactions),
    baseline: evaluationSeconds * 1000 + median(starts),
    target: "<=1.5",
    digits: 0,
  });

  // autoscale-flaps
  const flapsName = `bench-autoscale-steady-${run}`;
  await registry.createService({
    service: service(flapsName, { ...policy, maxReplicas: 4, cooldownDown: { seconds: 30n } }),
  });
  await scaler.scale({ name: flapsName, replicas: 2, wait: true });
  const busy = (await status(flapsName)).containers.find((c) => c.slot === 1)!.id;
  await exec(busy, ["touch", "/burn"]);
  // Steady: both replicas measured with the load on.
  await sleep(evaluationSeconds * 2000);
  let changes = 0;
  let naiveChanges = 0;
  let last = (await status(flapsName)).desired;
  const deadline = performance.now() + steadySeconds * 1000;
  console.error(`bench: autoscale-flaps: ${steadySeconds} s of steady load at the target (BENCH_SECONDS)`);
  while (performance.now() < deadline) {
    await sleep(evaluationSeconds * 1000);
    const now = await status(flapsName);
    if (now.desired !== last) {
      changes++;
      console.error(`bench: autoscale-flaps: ${last} -> ${now.desired}: ${now.lastAutoscaleDecision?.why ?? ""}`);
    }
    last = now.desired;
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const value = sample(metrics, `dockhand_autoscale_metric_value{service="${flapsName}",metric="cpu_percent"}`);
    if (value !== undefined && Math.ceil((value / policy.target) * now.desired) !== now.desired) naiveChanges++;
  }
  console.error(`bench: autoscale-flaps measured over ${steadySeconds} s`);
  printFigure({
    bench: "autoscale-flaps",
    unit: "changes",
    dockhand: changes,
    baseline: naiveChanges,
    target: "0",
    digits: 0,
  });

  // ---- Canary figures ---------------------------------------------------------------------
  // canary-promote: Promote to every replica on the new version, against today's rolling
  // update of the same service with the same policy, alternating, median of BENCH_ROUNDS.
  const canary = await measureCanaryPromote({
    url: server.url,
    name: `bench-canary-${run}`,
    replicas: 6,
    rounds,
    log: (line) => console.error(`bench: canary-promote${line}`),
  });
  printFigure({
    bench: "canary-promote",
    unit: "s",
    dockhand: median(canary.promote),
    baseline: median(canary.rolling),
    target: "<=1.1",
    digits: 3,
  });
} finally {
  await cleanup();
}
