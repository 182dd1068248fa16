import type { ContainerStateName, HealthName } from "../../engine/types.js";
import type { SwarmResolver } from "./swarm-resources.js";
import type { SwarmNodeInfo, SwarmService, SwarmTask, SwarmTaskState, SwarmUpdateState } from "../../engine/swarm.js";
import type { Rollout, RolloutState, StoredService } from "../../model/service-definition.js";
import {
  derivedConditions,
  type ContainerStatusView,
  type ServiceStatusView,
  type SlotFailure,
} from "../service-status.js";
import { isImagePullFailure, isPortTaken, sortConditions, type Condition } from "../conditions.js";
import { definitionLabel, instanceLabel } from "../../model/ownership-labels.js";
import { definitionVersionOf, toSwarmSpec } from "./swarm-service-spec.js";
import { sameSwarmSpec } from "./swarm-service-writer.js";

const containerStateOf: Record<SwarmTaskState, ContainerStateName> = {
  new: "created",
  allocated: "created",
  pending: "created",
  assigned: "created",
  accepted: "created",
  preparing: "created",
  ready: "created",
  starting: "created",
  running: "running",
  complete: "exited",
  shutdown: "exited",
  failed: "exited",
  rejected: "dead",
  remove: "removing",
  orphaned: "unknown",
};

/** A node that stopped answering: what its tasks do is not known, so they are not counted. */
function lost(node: SwarmNodeInfo | undefined): boolean {
  return !!node && node.state !== "ready";
}

/** The tasks status shows: the ones Swarm wants running, and the ones still stopping. */
export function currentTasks(tasks: readonly SwarmTask[]): SwarmTask[] {
  return tasks.filter((t) => t.desiredState === "running" || t.desiredState === "ready" || t.state === "running");
}

/** Tasks that run now on a node that answers. */
export function runningTasks(tasks: readonly SwarmTask[], nodes: ReadonlyMap<string, SwarmNodeInfo>): SwarmTask[] {
  return tasks.filter((t) => t.state === "running" && t.desiredState === "running" && !lost(nodes.get(t.nodeId)));
}

/**
 * The definition version a task runs. After Swarm's own rollback the service's spec is the old
 * one again, old version label included, while the registry recorded the rollback as a new
 * version of the same content: a task made from the service's current spec runs that version.
 */
function versionReader(
  stored: StoredService,
  service: SwarmService | undefined,
  resolve?: SwarmResolver,
): (task: SwarmTask) => number {
  const label = service?.spec.labels[definitionLabel];
  // Only a definition that changed (so has a previous one) can have been rolled back.
  const current =
    !!service &&
    !!stored.previous &&
    label !== String(stored.version) &&
    sameSwarmSpec(
      service.spec,
      toSwarmSpec(stored, service.spec.labels[instanceLabel] ?? "", service.spec.replicas, resolve),
    );
  return (task) =>
    current && task.containerLabels[definitionLabel] === label
      ? stored.version
      : definitionVersionOf(task.containerLabels);
}

/**
 * A task of a service with a health check stays `starting` until its container is healthy, and
 * Swarm replaces it when it turns unhealthy: so a starting task that has its container runs with
 * health `starting`, and a running one is healthy. (An unhealthy one shows as its failure.)
 */
export function isHealthStarting(task: SwarmTask, checked: boolean): boolean {
  return checked && task.state === "starting" && task.desiredState === "running" && task.containerId !== "";
}

function healthOf(task: SwarmTask, checked: boolean): HealthName {
  if (!checked) return "none";
  if (task.state === "running") return "healthy";
  return isHealthStarting(task, checked) ? "starting" : "none";
}

/** The definition runs a check: its own, or (with timings only, or none given) possibly the image's, which Swarm also waits for. */
export function hasHealthCheck(stored: StoredService): boolean {
  const test = stored.definition.healthCheck?.test;
  return !!test && test[0] !== "NONE";
}

function containerOf(
  service: string,
  task: SwarmTask,
  nodes: ReadonlyMap<string, SwarmNodeInfo>,
  versionOf: (task: SwarmTask) => number,
  checked: boolean,
): ContainerStatusView {
  const node = nodes.get(task.nodeId);
  return {
    id: task.containerId || task.id,
    name: `${service}.${task.slot}.${task.id}`,
    slot: task.slot,
    state: lost(node)
      ? "unknown"
      : isHealthStarting(task, checked)
        ? "running"
        : (containerStateOf[task.state] ?? "unknown"),
    health: lost(node) ? "none" : healthOf(task, checked),
    ports: task.ports.map((p) => ({
      containerPort: p.containerPort,
      protocol: p.protocol,
      hostIp: "",
      hostPort: p.hostPort,
    })),
    startedAt: task.state === "running" || isHealthStarting(task, checked) ? task.stateAt : undefined,
    createdAt: task.createdAt,
    definitionVersion: versionOf(task),
    exitCode: task.exitCode,
    ...(task.nodeId ? { node: { id: task.nodeId, name: node?.hostname ?? "" } } : {}),
  };
}

/** Failed tasks of the last few minutes, newest per slot, as the local backend reports crashes. */
function failuresOf(tasks: readonly SwarmTask[], now: number): SlotFailure[] {
  const bySlot = new Map<number, SwarmTask[]>();
  for (const task of tasks) {
    if (task.state !== "failed" || now - task.stateAt.getTime() > 300_000) continue;
    bySlot.set(task.slot, [...(bySlot.get(task.slot) ?? []), task]);
  }
  return [...bySlot.entries()]
    .map(([slot, failed]) => {
      const last = failed.reduce((a, b) => (a.stateAt > b.stateAt ? a : b));
      return {
        slot,
        exitCode: last.exitCode,
        reason: last.error || last.message,
        at: last.stateAt,
        consecutive: failed.length,
        nextAttemptAt: last.stateAt,
      };
    })
    .sort((a, b) => a.slot - b.slot);
}

const rolloutStateOf: Record<SwarmUpdateState, RolloutState> = {
  updating: "updating",
  paused: "paused",
  completed: "completed",
  rollback_started: "rolling_back",
  rollback_paused: "paused",
  rollback_completed: "rolled_back",
};

/** The registry's rollout, with its state read from Swarm's UpdateStatus once Swarm has one for it. */
export function rolloutOf(
  stored: StoredService,
  service: SwarmService | undefined,
  settled = false,
): Rollout | undefined {
  const recorded = stored.rollout;
  const status = service?.updateStatus;
  // Swarm keeps no UpdateStatus when it had nothing to replace (no task ran the old spec).
  if (recorded?.state === "updating" && !status && settled) {
    return { ...recorded, state: "completed", endedAt: new Date().toISOString() };
  }
  if (!recorded || !status || !service) return recorded;
  // An UpdateStatus older than the recorded rollout belongs to an earlier change.
  if (status.startedAt && status.startedAt.getTime() < Date.parse(recorded.startedAt) - 1000) return recorded;
  const state = rolloutStateOf[status.state] ?? recorded.state;
  const ended = state === "completed" || state === "rolled_back";
  return {
    ...recorded,
    state,
    message: status.message,
    ...(ended ? { endedAt: (status.completedAt ?? new Date()).toISOString() } : {}),
  };
}

export function buildStatus(
  stored: StoredService,
  service: SwarmService | undefined,
  tasks: readonly SwarmTask[],
  nodes: ReadonlyMap<string, SwarmNodeInfo>,
  resolve?: SwarmResolver,
): ServiceStatusView {
  const name = stored.definition.name;
  const versionOf = versionReader(stored, service, resolve);
  const checked = hasHealthCheck(stored);
  const containers = currentTasks(tasks)
    .sort((a, b) => a.slot - b.slot || a.createdAt.getTime() - b.createdAt.getTime())
    .map((task) => containerOf(name, task, nodes, versionOf, checked));
  const failures = failuresOf(tasks, Date.now());
  const running = containers.filter((c) => c.state === "running").length;
  const settled = running === stored.replicas && containers.every((c) => c.definitionVersion === stored.version);
  const rollout = rolloutOf(stored, service, settled);
  return {
    name,
    desired: stored.replicas,
    running,
    paused: 0,
    version: stored.version,
    containers,
    crashLooping: failures.some((f) => f.consecutive >= 2),
    failures,
    ...(rollout ? { rollout } : {}),
    conditions: sortConditions([
      ...taskConditions(tasks, containers, Date.now()),
      ...derivedConditions({ failures, containers, rollout }),
    ]),
  };
}

/**
 * What stops a slot's task from running, from the errors of its tasks of the last 5 minutes:
 * an image the node could not pull, a port taken, or any other error Swarm gave. Only for a
 * slot that runs no task now: a slot that runs again has no condition.
 */
function taskConditions(
  tasks: readonly SwarmTask[],
  containers: readonly ContainerStatusView[],
  now: number,
): Condition[] {
  const runningSlots = new Set(containers.filter((c) => c.state === "running").map((c) => c.slot));
  const bySlot = new Map<number, SwarmTask[]>();
  for (const task of tasks) {
    if (!task.error || runningSlots.has(task.slot) || now - task.stateAt.getTime() > 300_000) continue;
    bySlot.set(task.slot, [...(bySlot.get(task.slot) ?? []), task]);
  }
  return [...bySlot.entries()].map(([slot, failed]) => {
    const times = failed.map((t) => t.stateAt.getTime());
    const last = failed.reduce((a, b) => (a.stateAt > b.stateAt ? a : b));
    const type = isImagePullFailure(last.error)
      ? "image_pull_failed"
      : isPortTaken(last.error)
        ? "port_taken"
        : "task_failed";
    return {
      type,
      slot,
      message: last.error,
      firstSeenAt: new Date(Math.min(...times)),
      lastSeenAt: new Date(Math.max(...times)),
      count: failed.length,
    };
  });
}
