import type { ContainerSpec } from "../../engine/types.js";
import type { StoredService } from "../../model/service-definition.js";
import { ownershipLabels, slotContainerName } from "../../model/ownership-labels.js";
import { mountSpecsFor } from "./service-volumes.js";
import { networkAttachmentsFor } from "./service-networks.js";

/** The engine spec of the container that fills `slot` of a service. */
export function containerSpecFor(stored: StoredService, slot: number, instance: string): ContainerSpec {
  const def = stored.definition;
  return {
    name: slotContainerName(def.name, slot),
    image: def.image,
    command: def.command,
    env: def.environment,
    labels: {
      ...def.labels,
      ...ownershipLabels({ instance, service: def.name, slot, definitionVersion: stored.version }),
    },
    ports: def.ports,
    init: def.init,
    restart: def.restart,
    memoryBytes: def.memoryBytes,
    nanoCpus: def.cpuMillis * 1_000_000,
    stopGraceSeconds: def.stopGraceSeconds,
    ...(def.healthCheck ? { healthCheck: def.healthCheck } : {}),
    ...(def.mounts?.length ? { mounts: mountSpecsFor(def, slot) } : {}),
    ...(def.readOnlyRootFs ? { readOnlyRootFs: true } : {}),
    ...(def.networks?.length ? { networks: networkAttachmentsFor(def) } : {}),
  };
}
