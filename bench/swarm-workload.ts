/**
 * bench:swarm's workload figures, each against Swarm alone doing the same in the same run:
 * - swarm-heal-ready (s): a task's container killed on a worker, until a healthy replacement
 *   (a 1 s check) runs and the service is back to 3 ready; the raw baseline kills a task of a
 *   service made with the same spec through the Swarm API and lists its tasks every 50 ms;
 * - swarm-secret-rotate (s): UpdateSecret until every task runs the new version (Swarm's update
 *   completed, 3 tasks of the new definition running); the baseline makes the new Swarm secret
 *   and updates the service's secret reference by hand (`--secret-rm/--secret-add`).
 * Median of BENCH_ROUNDS each, alternating which goes first.
 */
import type { Client } from "@connectrpc/connect";
import { performance } from "node:perf_hooks";
import type { ServiceRegistry } from "../gen/dockhand/v1/registry_pb.js";
import { ScaleWaitFor, type Scaler } from "../gen/dockhand/v1/scaler_pb.js";
import { UpdateState } from "../gen/dockhand/v1/service_pb.js";
import type { SwarmEngine, SwarmServiceSpec } from "../src/engine/swarm.js";
import type { TestSwarm } from "../test/support/swarm/three-node-swarm.js";
import { testImage } from "../test/support/engine.js";
import { median } from "./support.js";

const replicas = 3;
const check = { test: ["CMD", "true"], intervalMs: 1000, timeoutMs: 0, retries: 0, startPeriodMs: 0 };

export interface WorkloadFigures {
  heal: { dockhand: number; baseline: number };
  rotate: { dockhand: number; baseline: number };
}

const poll = () => new Promise((resolve) => setTimeout(resolve, 50));

/** Waits until `done` holds; seconds since `started`. */
async function timeUntil(started: number, done: () => Promise<boolean>): Promise<number> {
  while (!(await done())) await poll();
  return (performance.now() - started) / 1000;
}

export async function measureWorkload(options: {
  cluster: TestSwarm;
  swarm: SwarmEngine;
  scaler: Client<typeof Scaler>;
  registry: Client<typeof ServiceRegistry>;
  rawSpec: (name: string) => SwarmServiceSpec;
  rounds: number;
}): Promise<WorkloadFigures> {
  const { cluster, swarm, scaler, registry, rounds } = options;
  const suffix = process.pid;
  const name = `bench-heal-${suffix}`;
  const raw = `bench-heal-raw-${suffix}`;
  const secret = `bench-token-${suffix}`;
  const update = {
    parallelism: replicas,
    delayMs: 0,
    order: "stop-first" as const,
    monitorMs: 1000,
    failureAction: "pause" as const,
  };
  const nodeOf = async (nodeId: string) => {
    const hostname = [...(await cluster.nodeIds()).entries()].find(([, id]) => id === nodeId)?.[0];
    return cluster.nodes.find((n) => n.hostname === hostname)!;
  };
  const rawRunning = async (service: string) =>
    (await swarm.tasks.list({ service })).filter((t) => t.state === "running" && t.desiredState === "running");

  await registry.createSecret({ name: secret, valueText: "v1" });
  await registry.createService({
    service: {
      name,
      image: testImage,
      command: ["sleep", "3600"],
      init: true,
      stopGracePeriod: { seconds: 1n },
      healthCheck: { command: ["true"], interval: { seconds: 1n } },
      secrets: [{ name: secret, target: "/run/secrets/token" }],
      updateConfig: { parallelism: replicas, monitor: { seconds: 1n } },
    },
  });
  let rawVersion = 1;
  const rawSecretId = async (version: number) =>
    swarm.secrets.create({ name: `${raw}-v${version}`, labels: {}, data: Buffer.from(`v${version}`) });
  const rawFile = async (version: number) => ({
    id: await rawSecretId(version),
    name: `${raw}-v${version}`,
    target: "/run/secrets/token",
    uid: 0,
    gid: 0,
    mode: 0o444,
  });
  await swarm.services.create({
    ...options.rawSpec(raw),
    replicas,
    healthCheck: check,
    update,
    rollback: update,
    secrets: [await rawFile(rawVersion)],
  });
  await scaler.scale({ name, replicas, waitFor: ScaleWaitFor.READY });
  while ((await rawRunning(raw)).length !== replicas) await poll();

  const heal = { dockhand: [] as number[], baseline: [] as number[] };
  const rotate = { dockhand: [] as number[], baseline: [] as number[] };
  const workerName = cluster.nodes[1]!.hostname;
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ["dockhand", "raw"] : ["raw", "dockhand"];
    for (const which of order) {
      if (which === "dockhand") {
        const before = (await scaler.getStatus({ name })).status!;
        const victim = before.containers.find((c) => c.nodeName === workerName) ?? before.containers[0]!;
        const started = performance.now();
        await cluster.nodes.find((n) => n.hostname === victim.nodeName)!.docker(["kill", victim.id]);
        heal.dockhand.push(
          await timeUntil(started, async () => {
            const now = (await scaler.getStatus({ name })).status!;
            return now.ready === replicas && !now.containers.some((c) => c.id === victim.id);
          }),
        );
        const startedRotate = performance.now();
        await registry.updateSecret({ name: secret, valueText: `v${round + 2}` });
        rotate.dockhand.push(
          await timeUntil(startedRotate, async () => {
            const now = (await scaler.getStatus({ name })).status!;
            return (
              now.update?.state === UpdateState.COMPLETED &&
              now.ready === replicas &&
              now.containers.length === replicas &&
              now.containers.every((c) => c.definitionVersion === now.version)
            );
          }),
        );
      } else {
        const tasks = await rawRunning(raw);
        const workerId = (await cluster.nodeIds()).get(workerName);
        const victim = tasks.find((t) => t.nodeId === workerId) ?? tasks[0]!;
        const started = performance.now();
        await (await nodeOf(victim.nodeId)).docker(["kill", victim.containerId]);
        heal.baseline.push(
          await timeUntil(started, async () => {
            const now = await rawRunning(raw);
            return now.length === replicas && !now.some((t) => t.id === victim.id);
          }),
        );
        const startedRotate = performance.now();
        rawVersion++;
        const file = await rawFile(rawVersion);
        const service = await swarm.services.inspect(raw);
        await swarm.services.update(service.id, service.version, { ...service.spec, secrets: [file] });
        rotate.baseline.push(
          await timeUntil(startedRotate, async () => {
            const now = await swarm.services.inspect(raw);
            return now.updateStatus?.state === "completed" && (await rawRunning(raw)).length === replicas;
          }),
        );
      }
    }
    console.error(
      `workload round ${round + 1}: heal dockhand ${heal.dockhand.at(-1)!.toFixed(2)} s, raw ${heal.baseline.at(-1)!.toFixed(2)} s; rotate dockhand ${rotate.dockhand.at(-1)!.toFixed(2)} s, raw ${rotate.baseline.at(-1)!.toFixed(2)} s`,
    );
  }
  await registry.deleteService({ name, force: true });
  await swarm.services.remove((await swarm.services.inspect(raw)).id);
  return {
    heal: { dockhand: median(heal.dockhand), baseline: median(heal.baseline) },
    rotate: { dockhand: median(rotate.dockhand), baseline: median(rotate.baseline) },
  };
}
