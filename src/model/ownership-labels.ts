/**
 * dockhand knows its containers by these labels, never by image. A container without
 * `dockhand.service`, or with another dockhand's `dockhand.instance`, is not this dockhand's
 * and is never counted or touched: several dockhands can share one engine.
 */
export const serviceLabel = "dockhand.service";
export const slotLabel = "dockhand.slot";
export const definitionLabel = "dockhand.definition";
export const instanceLabel = "dockhand.instance";
export const managedByLabel = "dockhand.managed-by";

export interface Ownership {
  /** The dockhand (its data directory) that owns the container. */
  instance: string;
  service: string;
  slot: number;
  definitionVersion: number;
}

export function ownershipLabels(owner: Ownership): Record<string, string> {
  return {
    [managedByLabel]: "dockhand",
    [instanceLabel]: owner.instance,
    [serviceLabel]: owner.service,
    [slotLabel]: String(owner.slot),
    [definitionLabel]: String(owner.definitionVersion),
  };
}

/** Reads the ownership labels; undefined when the container is not a dockhand's. */
export function ownershipOf(labels: Record<string, string>): Ownership | undefined {
  const service = labels[serviceLabel];
  if (!service) return undefined;
  return {
    instance: labels[instanceLabel] ?? "",
    service,
    slot: Number(labels[slotLabel] ?? 0) || 0,
    definitionVersion: Number(labels[definitionLabel] ?? 0) || 0,
  };
}

/** The ownership of a container that `instance` owns; undefined for any other container. */
export function ownedBy(labels: Record<string, string>, instance: string): Ownership | undefined {
  const owner = ownershipOf(labels);
  return owner?.instance === instance ? owner : undefined;
}

/** Slot names make creates idempotent: a retried create of the same slot hits a name conflict. */
export function slotContainerName(service: string, slot: number): string {
  return `${service}-${slot}`;
}

/** The engine's label filter selecting every container of one service. */
export function serviceFilter(service: string): string {
  return `${serviceLabel}=${service}`;
}

/** The engine's label filter selecting every container one dockhand owns. */
export function instanceFilter(instance: string): string {
  return `${instanceLabel}=${instance}`;
}
