import type { SwarmService, SwarmServiceSpec } from "../../engine/swarm.js";
import { definitionLabel } from "../../model/ownership-labels.js";
import type { StoredService } from "../../model/service-definition.js";
import { desiredReplicasLabel, toSwarmSpec } from "./swarm-service-spec.js";
import { differingSpecFields } from "./swarm-spec-diff.js";
import type { SwarmResolver } from "./swarm-resources.js";

/** Swarm rolls back (or holds) a failed update: its spec is the one to keep, so it is no drift. */
export function isRollingBack(service: SwarmService): boolean {
  const state = service.updateStatus?.state;
  return !!state && state !== "completed" && state !== "updating";
}

/** The spec without what a scale changes: the count and its label. */
function withoutCount(spec: SwarmServiceSpec): SwarmServiceSpec {
  const labels = Object.fromEntries(Object.entries(spec.labels).filter(([key]) => key !== desiredReplicasLabel));
  return { ...spec, labels, replicas: 0 };
}

/**
 * What someone changed on a Swarm service outside dockhand, for a person; undefined when
 * nothing did. Compared with what dockhand itself wrote, as the service's labels record it, so a
 * write of dockhand's still on its way (a Scale, a rollout) is never taken for drift:
 * - the count differs from the `dockhand.desired-replicas` label dockhand wrote with it;
 * - the spec differs from the definition whose version its `dockhand.definition` label names
 *   (networks, secrets and configs by the ids `resolve` knows);
 * - the service is gone, though `existed` says dockhand saw it.
 */
export function describeDrift(
  stored: StoredService,
  service: SwarmService | undefined,
  instance: string,
  existed: boolean,
  resolve?: SwarmResolver,
): string | undefined {
  if (!service) return existed ? "the Swarm service was removed outside dockhand" : undefined;
  const parts: string[] = [];
  const written = service.spec.labels[desiredReplicasLabel];
  if (written !== undefined && Number(written) !== service.spec.replicas) {
    parts.push(
      `the Swarm service was scaled to ${service.spec.replicas} outside dockhand (desired ${stored.replicas})`,
    );
  }
  if (service.spec.labels[definitionLabel] === String(stored.version) && !isRollingBack(service)) {
    const fields = differingSpecFields(
      withoutCount(service.spec),
      withoutCount(toSwarmSpec(stored, instance, stored.replicas, resolve)),
    );
    if (fields.length > 0)
      parts.push(
        `the Swarm service's ${fields.join(", ")} ${fields.length === 1 ? "was" : "were"} changed outside dockhand`,
      );
  }
  return parts.length > 0 ? parts.join("; ") : undefined;
}
