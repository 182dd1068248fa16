// The `swarm` backend: each definition is a Docker Swarm service on a manager, Swarm keeps the
// count and rolls updates, and dockhand reports status from the tasks and repairs drift.
import type {
  SwarmFileReference,
  SwarmMount,
  SwarmRestartCondition,
  SwarmServiceSpec,
  SwarmUpdateConfig,
} from "../../engine/swarm.js";
import { DockhandError } from "../../model/dockhand-error.js";
import { definitionLabel, instanceLabel, managedByLabel, serviceLabel } from "../../model/ownership-labels.js";
import type { RestartMode } from "../../model/container-options.js";
import type { ServiceDefinition, StoredService, UpdatePolicy } from "../../model/service-definition.js";
import { quote } from "../../model/quote.js";
import { perSlotVolumeName, volumeLabel } from "../../model/volume-names.js";
import { isSharedNetworkMode } from "../../model/workload-rules.js";
import type { SecretKind } from "../../registry/secret-store.js";
import { pinnedVersion, versionedFileName, type SwarmResolver } from "./swarm-resources.js";

/**
 * The count dockhand last wrote, on the Swarm service (not on its containers, so a scale never
 * restarts a task). A `docker service scale` changes the count and leaves the label: drift.
 */
export const desiredReplicasLabel = "dockhand.desired-replicas";

/** A per-slot volume's source: Swarm puts each task's slot in, so the node's volume is `<service>-<slot>-<name>`. */
export const perSlotSource = (service: string, source: string) => perSlotVolumeName(service, "{{.Task.Slot}}", source);

/**
 * Refuses, naming the field, what only the local backend can run, when a definition is written
 * (CreateService, UpdateService, the service file), so it is never accepted and then failing at
 * Scale: another container's network namespace (Swarm tasks have no such mode), and keeping
 * unhealthy containers (Swarm always replaces a task that turns unhealthy).
 */
export function checkSwarmDefinition(def: ServiceDefinition, prefix = "service."): void {
  (def.networks ?? []).forEach((network, i) => {
    if (!network.startsWith("container:")) return;
    const field = `${prefix}networks[${i}]`;
    throw new DockhandError(
      "FailedPrecondition",
      `${field}: ${quote(network)} is another container's network namespace, which only the local orchestrator can join; Swarm tasks join networks`,
      { details: { field } },
    );
  });
  if (!def.replaceUnhealthy && def.healthCheck?.test[0] !== "NONE") {
    const field = `${prefix}unhealthy_action`;
    throw new DockhandError(
      "FailedPrecondition",
      `${field}: IGNORE is not possible on the swarm orchestrator: Swarm always replaces a task that turns unhealthy; use REPLACE, or health_check.none`,
      { details: { field } },
    );
  }
}

/**
 * ListUnusedVolumes and `purge_volumes` on swarm: each node keeps its volumes, and dockhand
 * speaks to the manager's API only, which neither lists nor removes a node's local volumes.
 */
export function nodeVolumesOutOfReach(field: string): DockhandError {
  return new DockhandError(
    "FailedPrecondition",
    `${field}: on the swarm orchestrator each node keeps its own volumes, out of dockhand's reach (it talks to the manager only); list or remove them on each node (docker volume ls --filter label=dockhand.service=<name>)`,
    { details: { field } },
  );
}

/** The mounts of each task; volumes labelled as this dockhand's when a node creates them. */
function swarmMounts(def: ServiceDefinition, ownership: Record<string, string>): SwarmMount[] {
  return (def.mounts ?? []).map((mount): SwarmMount => ({
    type: mount.type,
    source: mount.type === "volume" && mount.perSlot ? perSlotSource(def.name, mount.source) : mount.source,
    target: mount.target,
    readOnly: mount.readOnly,
    tmpfsSizeBytes: mount.tmpfsSizeBytes,
    volumeLabels:
      mount.type === "volume"
        ? {
            [managedByLabel]: "dockhand",
            [instanceLabel]: ownership[instanceLabel] ?? "",
            [serviceLabel]: def.name,
            [volumeLabel]: mount.source,
          }
        : {},
  }));
}

function swarmFiles(
  def: ServiceDefinition,
  kind: SecretKind,
  resolve: SwarmResolver | undefined,
): SwarmFileReference[] {
  return ((kind === "secret" ? def.secrets : def.configs) ?? []).map((file) => {
    const name = versionedFileName(file.name, pinnedVersion(def, kind, file.name));
    return {
      id: resolve?.fileId(kind, name) ?? name,
      name,
      target: file.target,
      uid: file.uid,
      gid: file.gid,
      mode: file.mode,
    };
  });
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

/**
 * The Swarm service a stored definition becomes, with `replicas` tasks. Networks, secrets and
 * configs are named by their Swarm ids, which `resolve` knows once they were made (without it,
 * or before, by name: such a spec only compares unequal).
 */
export function toSwarmSpec(
  stored: StoredService,
  instance: string,
  replicas: number,
  resolve?: SwarmResolver,
): SwarmServiceSpec {
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
    mounts: swarmMounts(def, ownership),
    readOnly: def.readOnlyRootFs ?? false,
    ...(def.healthCheck ? { healthCheck: def.healthCheck } : {}),
    networks: (def.networks ?? []).map((network) => ({
      networkId: resolve?.networkId(network) ?? network,
      aliases: isSharedNetworkMode(network) ? [] : [def.name],
    })),
    secrets: swarmFiles(def, "secret", resolve),
    configs: swarmFiles(def, "config", resolve),
  };
}

/** The definition version a Swarm service (or task) carries. */
export function definitionVersionOf(labels: Record<string, string>): number {
  return Number(labels[definitionLabel] ?? 0) || 0;
}
