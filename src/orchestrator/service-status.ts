import type { ContainerStateName, HealthName, PublishedPort } from "../engine/types.js";
import type { Rollout } from "../model/service-definition.js";
import type { Condition } from "./conditions.js";
import type { AutoscaleDecision } from "./autoscale/autoscale-decision.js";

/** Where a container runs: a node of a cluster. Empty strings on a single engine. */
export interface NodeRef {
  id: string;
  name: string;
}

/** Why a slot's container stopped, kept while the slot is in its restart delay. */
export interface SlotFailure {
  slot: number;
  exitCode: number;
  /** The container's last log line, its error, or "unhealthy". */
  reason: string;
  at: Date;
  /** When the first of the failures in a row happened. */
  firstAt?: Date;
  /** Failures in a row, each soon after the container started. */
  consecutive: number;
  /** When the slot may be filled again. */
  nextAttemptAt: Date;
}

/** One container (a task, on a cluster) of a service, as status shows it. */
export interface ContainerStatusView {
  id: string;
  name: string;
  slot: number;
  state: ContainerStateName;
  health: HealthName;
  ports: PublishedPort[];
  startedAt: Date | undefined;
  createdAt: Date;
  definitionVersion: number;
  exitCode: number;
  /** The node it runs on; absent on a single engine. */
  node?: NodeRef;
}

export interface ServiceStatusView {
  name: string;
  desired: number;
  running: number;
  /** Containers an operator paused: present, so never replaced, but not running. */
  paused: number;
  version: number;
  containers: readonly ContainerStatusView[];
  /** Some slot failed twice or more in a row, each time soon after it started. */
  crashLooping: boolean;
  /** Recent failures per slot, with the restart delay each is in. */
  failures: SlotFailure[];
  /** The latest rolling update or rollback, if the definition ever changed. */
  rollout?: Rollout;
  /**
   * The latest change made to the service outside dockhand (on Swarm: scaled, updated or removed
   * behind its back), and when dockhand put it back; absent when nothing drifted lately.
   */
  drift?: { what: string; detectedAt: Date; repairedAt?: Date };
  /** Why the service is not where it should be; empty when nothing stands in the way. */
  conditions: Condition[];
  /** The autoscaler's latest decision (a change, or a new reason to hold); absent without a policy. */
  lastAutoscaleDecision?: AutoscaleDecision;
}

/** The conditions status sees for itself: crash-looping slots, unhealthy containers, a paused rollout. */
export function derivedConditions(view: Pick<ServiceStatusView, "failures" | "containers" | "rollout">): Condition[] {
  const found: Condition[] = [];
  for (const f of view.failures) {
    if (f.consecutive < 2) continue;
    found.push({
      type: "crash_looping",
      slot: f.slot,
      message: `exited with code ${f.exitCode}${f.reason ? `: ${f.reason}` : ""}; restarting at ${f.nextAttemptAt.toISOString()}`,
      firstSeenAt: f.firstAt ?? f.at,
      lastSeenAt: f.at,
      count: f.consecutive,
    });
  }
  for (const c of view.containers) {
    if (c.state !== "running" || c.health !== "unhealthy") continue;
    found.push({ type: "unhealthy", slot: c.slot, message: `${c.name} fails its health check`, count: 1 });
  }
  const rollout = view.rollout;
  if (rollout?.state === "paused" && !rollout.endedAt) {
    found.push({
      type: "rollout_paused",
      slot: 0,
      message: rollout.message || `the rollout to version ${rollout.toVersion} is paused`,
      firstSeenAt: new Date(rollout.startedAt),
      count: 1,
    });
  }
  return found;
}
