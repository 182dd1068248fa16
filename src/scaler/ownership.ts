/**
 * dockhand knows its containers by these labels, never by image. A container without
 * `dockhand.service` is not dockhand's and is never counted or touched.
 */
export const serviceLabel = "dockhand.service";
export const slotLabel = "dockhand.slot";
export const definitionLabel = "dockhand.definition";
export const managedByLabel = "dockhand.managed-by";

export interface Ownership {
  service: string;
  slot: number;
  definitionVersion: number;
}

export function ownershipLabels(owner: Ownership): Record<string, string> {
  return {
    [managedByLabel]: "dockhand",
    [serviceLabel]: owner.service,
    [slotLabel]: String(owner.slot),
    [definitionLabel]: String(owner.definitionVersion),
  };
}

/** Reads the ownership labels; undefined when the container is not dockhand's. */
export function ownershipOf(labels: Record<string, string>): Ownership | undefined {
  const service = labels[serviceLabel];
  if (!service) return undefined;
  return {
    service,
    slot: Number(labels[slotLabel] ?? 0) || 0,
    definitionVersion: Number(labels[definitionLabel] ?? 0) || 0,
  };
}

/** Slot names make creates idempotent: a retried create of the same slot hits a name conflict. */
export function slotContainerName(service: string, slot: number): string {
  return `${service}-${slot}`;
}

/** The engine's label filter selecting every container of one service. */
export function serviceFilter(service: string): string {
  return `${serviceLabel}=${service}`;
}
