import type { CoreEngine } from "../../engine/engine.js";
import type { ContainerStateName, ContainerSummary, HealthName, PublishedPort } from "../../engine/types.js";
import { instanceFilter, ownedBy, serviceFilter } from "../../model/ownership-labels.js";
import type { Rollout } from "../../model/service-definition.js";
import type { SlotFailure } from "./restart-backoff.js";

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
}

/** Every container of a service that `instance` owns, running or not (an authoritative list). */
export async function listServiceContainers(engine: Pick<CoreEngine, "listContainers">, instance: string, service: string): Promise<ContainerSummary[]> {
  const all = await engine.listContainers({ all: true, labels: [serviceFilter(service), instanceFilter(instance)] });
  return all.filter((c) => ownedBy(c.labels, instance)?.service === service);
}
