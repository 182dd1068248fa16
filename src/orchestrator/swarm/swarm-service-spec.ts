// The `swarm` backend: each definition is a Docker Swarm service on a manager, Swarm keeps the
// count and rolls updates, and dockhand reports status from the tasks and repairs drift.
import type { SwarmRestartCondition, SwarmServiceSpec, SwarmUpdateConfig } from "../../engine/swarm.js";
import { DockhandError } from "../../model/dockhand-error.js";
import { definitionLabel, instanceLabel, managedByLabel, serviceLabel } from "../../model/ownership-labels.js";
import type { RestartMode } from "../../model/container-options.js";
import type { StoredService, UpdatePolicy } from "../../model/service-definition.js";

/**
 * The count dockhand last wrote, on the Swarm service (not on its containers, so a scale never
 * restarts a task). A `docker service scale` changes the count and leaves the label: drift.
 */
export const desiredReplicasLabel = "dockhand.desired-replicas";

/** Parts of a definition this backend cannot run yet: refused by name rather than dropped. */
const unsupportedFields = ["mounts", "networks", "secrets", "configs", "healthCheck"] as const;

/** FailedPrecondition naming the first field of the definition Swarm services here do not carry. */
export function checkSwarmSupport(stored: StoredService): void {
  const def = stored.definition;
  for (const field of unsupportedFields) {
    const value = def[field];
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    throw new DockhandError(
      "FailedPrecondition",
      `service "${def.name}": ${field} is not supported by the swarm orchestrator yet; remove it or run with --orchestrator local`,
      { details: { field } },
    );
  }
}

/**
 * Swarm keeps the count whatever the restart mode: dockhand's local backend also replaces a
 * container that stopped. Only on-failure keeps its meaning (and its retry limit).
 */
function restartCondition(mode: RestartMode): SwarmRestartCondition {
  return mode === "on-failure" ? "on-failure" : "any";
}

function updateConfig(policy: UpdatePolicy): SwarmUpdateConfig {
  return {
    parallelism: policy.parallelism,
    delayMs: policy.delayMs,
    order: policy.order,
    monitorMs: policy.monitorMs,
    failureAction: policy.failureAction,
  };
}

/** The Swarm service a stored definition becomes, with `replicas` tasks. */
export function toSwarmSpec(stored: StoredService, instance: string, replicas: number): SwarmServiceSpec {
  const def = stored.definition;
  const ownership = {
    [managedByLabel]: "dockhand",
    [instanceLabel]: instance,
    [serviceLabel]: def.name,
    [definitionLabel]: String(stored.version),
  };
  return {
    name: def.name,
    labels: { ...ownership, [desiredReplicasLabel]: String(replicas) },
    image: def.image,
    command: def.command,
    env: def.environment,
    containerLabels: { ...def.labels, ...ownership },
    ports: def.ports.map((p) => ({ containerPort: p.containerPort, protocol: p.protocol, hostPort: p.hostPort })),
    memoryBytes: def.memoryBytes,
    nanoCpus: def.cpuMillis * 1_000_000,
    init: def.init,
    restart: {
      condition: restartCondition(def.restart.mode),
      maxAttempts: def.restart.mode === "on-failure" ? def.restart.maxRetries : 0,
    },
    stopGraceSeconds: def.stopGraceSeconds,
    replicas,
    update: updateConfig(stored.updatePolicy),
    // A rollback returns to the old definition as carefully as an update leaves it, but never
    // rolls back a rollback.
    rollback: { ...updateConfig(stored.updatePolicy), failureAction: "pause" },
  };
}

/** The definition version a Swarm service (or task) carries. */
export function definitionVersionOf(labels: Record<string, string>): number {
  return Number(labels[definitionLabel] ?? 0) || 0;
}
