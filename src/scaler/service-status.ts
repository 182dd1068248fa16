import type { CoreEngine } from "../engine/engine.js";
import type { ContainerStateName, ContainerSummary, HealthName, PublishedPort } from "../engine/types.js";
import { isDockhandError } from "../errors/dockhand-error.js";
import { runBounded } from "./bounded.js";
import { ownershipOf, serviceFilter } from "./ownership.js";

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
  version: number;
  containers: ContainerStatusView[];
}

/** Every container the engine has for a service, running or not. */
export async function listServiceContainers(engine: CoreEngine, service: string): Promise<ContainerSummary[]> {
  const all = await engine.listContainers({ all: true, labels: [serviceFilter(service)] });
  return all.filter((c) => ownershipOf(c.labels)?.service === service);
}

/**
 * Reads each container's details. A container that vanishes between list and inspect is
 * left out rather than failing the whole call.
 */
export async function readContainerStatuses(
  engine: CoreEngine,
  containers: readonly ContainerSummary[],
  concurrency: number,
): Promise<ContainerStatusView[]> {
  const views: ContainerStatusView[] = [];
  const failure = await runBounded(containers, concurrency, async (summary) => {
    try {
      const details = await engine.inspectContainer(summary.id);
      const owner = ownershipOf(details.labels);
      views.push({
        id: details.id,
        name: details.name,
        slot: owner?.slot ?? 0,
        state: details.state,
        health: details.health,
        ports: details.ports,
        startedAt: details.startedAt,
        createdAt: details.createdAt,
        definitionVersion: owner?.definitionVersion ?? 0,
        exitCode: details.exitCode,
      });
    } catch (err) {
      if (!isDockhandError(err, "NotFound")) throw err;
    }
  });
  if (failure) throw failure;
  return views.sort((a, b) => a.slot - b.slot || a.name.localeCompare(b.name));
}
