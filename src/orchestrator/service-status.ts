import type { ContainerStateName, HealthName, PublishedPort } from "../engine/types.js";
import type { Rollout } from "../model/service-definition.js";

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
}
