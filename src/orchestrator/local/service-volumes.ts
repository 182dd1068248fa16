import type { UnusedVolume } from "../orchestrator.js";
import type { Engine } from "../../engine/engine.js";
import type { MountSpec, VolumeDetails } from "../../engine/types.js";
import { DockhandError, isDockhandError } from "../../model/dockhand-error.js";
import { perSlotVolumeName, volumeLabel } from "../../model/volume-names.js";
import { quote } from "../../model/quote.js";
import type { ServiceDefinition, ServiceMount } from "../../model/service-definition.js";
import type { ServiceRegistry } from "../../registry/service-registry.js";
import { instanceLabel, managedByLabel, serviceLabel, slotLabel } from "../../model/ownership-labels.js";

export { volumeLabel };

/** The engine's name of a volume mount's volume in one slot. */
export function volumeName(service: string, slot: number, mount: Pick<ServiceMount, "source" | "perSlot">): string {
  return mount.perSlot ? perSlotVolumeName(service, slot, mount.source) : mount.source;
}

/** The engine mounts of a definition's mounts, for the container of `slot`. */
export function mountSpecsFor(def: ServiceDefinition, slot: number): MountSpec[] {
  return (def.mounts ?? []).map((mount) => {
    if (mount.type === "tmpfs")
      return { type: "tmpfs", target: mount.target, source: "", readOnly: false, tmpfsSizeBytes: mount.tmpfsSizeBytes };
    if (mount.type === "bind")
      return { type: "bind", target: mount.target, source: mount.source, readOnly: mount.readOnly };
    return {
      type: "volume",
      target: mount.target,
      source: volumeName(def.name, slot, mount),
      readOnly: mount.readOnly,
    };
  });
}

/**
 * Creates the volumes a slot's container mounts when they are missing, labelled as this
 * dockhand's. A volume that exists keeps its labels (one made by someone else stays theirs),
 * but a per-slot volume whose labels give it to another service or slot of this dockhand is
 * refused (FailedPrecondition naming the mount): it holds that slot's data. The registry refuses
 * such definitions; this catches services stored before it did.
 */
export async function ensureVolumes(
  engine: Pick<Engine, "volumes">,
  instance: string,
  def: ServiceDefinition,
  slot: number,
): Promise<void> {
  for (const mount of def.mounts ?? []) {
    if (mount.type !== "volume") continue;
    const labels: Record<string, string> = {
      [managedByLabel]: "dockhand",
      [instanceLabel]: instance,
      [serviceLabel]: def.name,
      [volumeLabel]: mount.source,
    };
    if (mount.perSlot) labels[slotLabel] = String(slot);
    const name = volumeName(def.name, slot, mount);
    const volume = await engine.volumes.create({ name, labels });
    if (mount.perSlot && ownedElsewhere(volume.labels, instance, labels)) {
      const field = `mounts[${def.mounts?.indexOf(mount)}].source`;
      throw new DockhandError(
        "FailedPrecondition",
        `${field}: volume ${quote(name)} belongs to service ${quote(volume.labels[serviceLabel] ?? "")} slot ${volume.labels[slotLabel] ?? "(shared)"}, not to this slot; rename the volume or the service`,
        { details: { field } },
      );
    }
  }
}

function ownedElsewhere(found: Record<string, string>, instance: string, wanted: Record<string, string>): boolean {
  if (found[instanceLabel] !== instance) return false;
  return [serviceLabel, slotLabel, volumeLabel].some((key) => found[key] !== wanted[key]);
}

/** Volumes this dockhand created for a service, whatever its definition says now. */
export function serviceVolumes(
  engine: Pick<Engine, "volumes">,
  instance: string,
  service: string,
): Promise<VolumeDetails[]> {
  return engine.volumes.list({ labels: [`${instanceLabel}=${instance}`, `${serviceLabel}=${service}`] });
}

/** Removes a service's volumes; one still in use (Conflict) is kept. Returns the names removed. */
export async function purgeVolumes(
  engine: Pick<Engine, "volumes">,
  instance: string,
  service: string,
): Promise<string[]> {
  const removed: string[] = [];
  for (const volume of await serviceVolumes(engine, instance, service)) {
    try {
      await engine.volumes.remove(volume.name);
      removed.push(volume.name);
    } catch (err) {
      if (!isDockhandError(err, "Conflict") && !isDockhandError(err, "NotFound")) throw err;
    }
  }
  return removed.sort();
}

/** Volumes this dockhand created whose service is gone or no longer mounts them. */
export async function unusedVolumes(
  engine: Pick<Engine, "volumes">,
  instance: string,
  registry: Pick<ServiceRegistry, "find">,
): Promise<UnusedVolume[]> {
  const unused: UnusedVolume[] = [];
  for (const volume of await engine.volumes.list({ labels: [`${instanceLabel}=${instance}`, volumeLabel] })) {
    const service = volume.labels[serviceLabel] ?? "";
    const slot = Number(volume.labels[slotLabel] ?? 0) || 0;
    const mounts = registry.find(service)?.definition.mounts ?? [];
    const used = mounts.some(
      (m) => m.type === "volume" && m.source === volume.labels[volumeLabel] && m.perSlot === slot > 0,
    );
    if (!used) unused.push({ volume, service, slot });
  }
  return unused.sort((a, b) => a.volume.name.localeCompare(b.volume.name));
}
