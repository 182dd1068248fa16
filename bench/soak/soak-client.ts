/**
 * One soak client: a loop of calls picked at random (weights below) until the time is up,
 * each outcome logged. Scale and UpdateService calls to one service are never in flight at
 * once (a client that finds the service busy reads its status instead), so that the last call
 * to finish is the last value set.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { ContainerState, Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { testImage } from "../../test/support/engine.js";
import type { Prng } from "../../test/support/fuzz/prng.js";
import type { BadRequestSender } from "./bad-requests.js";
import type { Intents } from "./intents.js";
import type { OutcomeLog } from "./outcomes.js";
import type { RpcCaller } from "./rpc-caller.js";

export interface SoakPlan {
  /** Services scaled up and down (and whose containers the faults kill). */
  scaled: string[];
  /** Services updated with rolling updates. */
  rolled: string[];
  /** Prefix of the services clients create and delete again. */
  createdPrefix: string;
  /** Services whose Scale or UpdateService is in flight. */
  busy: Set<string>;
}

export const rolledReplicas = 2;

/** The definition of a rolled service at a generation: only SOAK_GEN changes. */
export function rolledDefinition(name: string, generation: string) {
  return {
    name,
    image: testImage,
    command: ["sleep", "3600"],
    init: true,
    environment: { SOAK_GEN: generation },
    updateConfig: { parallelism: 1, monitor: { seconds: 1n } },
  };
}

type Action =
  "GetStatus" | "ListContainers" | "Scale" | "StreamLogs" | "WatchStatus" | "UpdateService" | "CreateService" | "bad";
const weights: Array<[Action, number]> = [
  ["GetStatus", 30],
  ["ListContainers", 12],
  ["Scale", 12],
  ["StreamLogs", 10],
  ["WatchStatus", 10],
  ["UpdateService", 4],
  ["CreateService", 4],
  ["bad", 10],
];
const totalWeight = weights.reduce((sum, [, w]) => sum + w, 0);

function pickAction(rng: Prng): Action {
  let roll = rng.int(totalWeight);
  for (const [action, weight] of weights) if ((roll -= weight) < 0) return action;
  return "GetStatus";
}

export interface SoakClient {
  caller: RpcCaller;
  index: number;
  rng: Prng;
  plan: SoakPlan;
  intents: Intents;
  outcomes: OutcomeLog;
  sendBad: BadRequestSender;
  /** Services this client created so far. */
  created: number;
  /** Generations of the rolled services, shared by all clients. */
  nextGeneration: () => string;
}

export async function runSoakClient(client: SoakClient, stopAt: number): Promise<void> {
  while (performance.now() < stopAt) {
    await oneAction(client, pickAction(client.rng));
    await sleep(client.rng.between(20, 120));
  }
}

/** Runs `call`, logging its outcome as `action`; undefined when it failed. */
async function logged<T>(client: SoakClient, action: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    const value = await call();
    client.outcomes.ok(action, client.caller.protocol);
    return value;
  } catch (err) {
    client.outcomes.failed(action, client.caller.protocol, err);
    return undefined;
  }
}

/** Reads a server stream for a while, then cancels it. */
async function readThenCancel(
  client: SoakClient,
  action: string,
  open: (signal: AbortSignal) => AsyncIterable<unknown>,
  maxMessages: number,
  maxMs: number,
): Promise<void> {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), maxMs);
  await logged(client, action, async () => {
    let messages = 0;
    for await (const _ of open(stop.signal)) if (++messages >= maxMessages) break;
  });
  clearTimeout(timer);
  stop.abort();
}

async function oneAction(client: SoakClient, action: Action): Promise<void> {
  const { caller, rng, plan } = client;
  const anyService = () => rng.pick(rng.chance(0.7) ? plan.scaled : plan.rolled);
  switch (action) {
    case "GetStatus":
      await logged(client, action, () => caller.unary(Scaler.method.getStatus, { name: anyService() }, 15_000));
      return;
    case "ListContainers":
      await logged(client, action, () =>
        caller.unary(
          ContainerAgent.method.listContainers,
          rng.chance(0.5) ? { all: true } : { service: anyService() },
          15_000,
        ),
      );
      return;
    case "Scale": {
      const name = rng.pick(plan.scaled);
      if (plan.busy.has(name)) return oneAction(client, "GetStatus");
      plan.busy.add(name);
      const replicas = rng.int(4);
      const settled = client.intents.setting(name, String(replicas));
      const wait = rng.chance(0.5);
      const done = await logged(client, action, () =>
        caller.unary(Scaler.method.scale, { name, replicas, wait }, 30_000),
      );
      settled(done !== undefined);
      plan.busy.delete(name);
      return;
    }
    case "StreamLogs": {
      const answer = await logged(client, "GetStatus", () =>
        caller.unary(Scaler.method.getStatus, { name: rng.pick(plan.scaled) }, 15_000),
      );
      const running = answer?.status?.containers.find((c) => c.state === ContainerState.RUNNING);
      if (!running) return;
      await readThenCancel(
        client,
        action,
        (signal) =>
          caller.serverStream(ContainerAgent.method.streamLogs, { id: running.id, follow: true, tail: 5 }, signal),
        5,
        rng.between(200, 600),
      );
      return;
    }
    case "WatchStatus":
      await readThenCancel(
        client,
        action,
        (signal) => caller.serverStream(Scaler.method.watchStatus, { name: anyService() }, signal),
        rng.between(1, 3),
        rng.between(300, 1000),
      );
      return;
    case "UpdateService": {
      const name = rng.pick(plan.rolled);
      if (plan.busy.has(name)) return oneAction(client, "GetStatus");
      plan.busy.add(name);
      const generation = client.nextGeneration();
      const settled = client.intents.setting(name, generation);
      const done = await logged(client, action, () =>
        caller.unary(ServiceRegistry.method.updateService, { service: rolledDefinition(name, generation) }, 15_000),
      );
      settled(done !== undefined);
      plan.busy.delete(name);
      return;
    }
    case "CreateService": {
      // A fresh name each time: one whose create or delete failed with the engine down may be left.
      const name = `${plan.createdPrefix}-${client.index}-${++client.created}`;
      const created = await logged(client, action, () =>
        caller.unary(
          ServiceRegistry.method.createService,
          { service: { name, image: testImage, command: ["sleep", "3600"], init: true } },
          15_000,
        ),
      );
      if (created) {
        await logged(client, "GetStatus", () => caller.unary(Scaler.method.getStatus, { name }, 15_000));
        await logged(client, "DeleteService", () =>
          caller.unary(ServiceRegistry.method.deleteService, { name, force: true }, 15_000),
        );
      } else {
        // It may have been stored before the failure: remove it, whatever the answer.
        await caller.unary(ServiceRegistry.method.deleteService, { name, force: true }, 15_000).catch(() => undefined);
      }
      return;
    }
    case "bad": {
      const result = await client.sendBad(rng);
      client.outcomes.bad(result.procedure, result.protocol, result.answer, result.problem);
      return;
    }
  }
}
