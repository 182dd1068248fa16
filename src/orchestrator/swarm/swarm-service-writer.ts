import type { Logger } from "pino";
import type { SwarmEngine, SwarmService, SwarmServiceSpec } from "../../engine/swarm.js";
import { DockhandError, isDockhandError } from "../../model/dockhand-error.js";
import { definitionLabel } from "../../model/ownership-labels.js";
import type { StoredService } from "../../model/service-definition.js";
import type { SwarmTaskView } from "./swarm-task-view.js";
import { checkSwarmSupport, toSwarmSpec } from "./swarm-service-spec.js";

export interface SwarmServiceWriterOptions {
  swarm: SwarmEngine;
  view: SwarmTaskView;
  instance: string;
  logger: Logger;
  /** Tries of an update that lost a race with another writer before it answers Aborted. Default 5. */
  conflictRetries?: number;
}

export type WriteReason = "scale" | "rollout" | "rollback" | "drift";

/** What a write changed. */
export type WriteResult = "created" | "updated" | "unchanged";

/**
 * Brings a Swarm service to what the registry stores: creates it, or updates it at the
 * version it was read at. Another writer in between (a `docker service scale`, another
 * dockhand) makes Swarm refuse the update as out of sequence: it is read again and retried,
 * and after `conflictRetries` lost races the caller gets Aborted, so no change is ever lost
 * silently.
 */
export interface SwarmServiceWriter {
  write(stored: StoredService, reason: WriteReason): Promise<WriteResult>;
}

/** The spec without the definition-version label: a Swarm rollback returns the old label, yet the same content. */
function content(spec: SwarmServiceSpec): string {
  const strip = (labels: Record<string, string>) => Object.fromEntries(Object.entries(labels).filter(([key]) => key !== definitionLabel).sort());
  // Keys sorted at every level: a spec read back from Swarm lists its fields in another order.
  return JSON.stringify({ ...spec, labels: strip(spec.labels), containerLabels: strip(spec.containerLabels), env: Object.entries(spec.env).sort() }, (_key, value: unknown) =>
    value && typeof value === "object" && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b))) : value,
  );
}

export function sameSwarmSpec(a: SwarmServiceSpec, b: SwarmServiceSpec): boolean {
  return content(a) === content(b);
}

export function createSwarmServiceWriter(options: SwarmServiceWriterOptions): SwarmServiceWriter {
  const { swarm, view, instance, logger } = options;
  const retries = options.conflictRetries ?? 5;

  async function current(name: string): Promise<SwarmService | undefined> {
    try {
      return await swarm.services.inspect(name);
    } catch (err) {
      if (isDockhandError(err, "NotFound")) return undefined;
      throw err;
    }
  }

  async function attempt(stored: StoredService, reason: WriteReason): Promise<WriteResult> {
    const name = stored.definition.name;
    const wanted = toSwarmSpec(stored, instance, stored.replicas);
    const service = await current(name);
    if (!service) {
      await swarm.services.create(wanted);
      return "created";
    }
    if (service.spec.labels["dockhand.instance"] !== instance) {
      throw new DockhandError("AlreadyExists", `a swarm service named "${name}" exists that this dockhand does not own`, { details: { field: "name" } });
    }
    if (reason === "rollback" && service.previousSpec && sameSwarmSpec(service.previousSpec, wanted)) {
      await swarm.services.update(service.id, service.version, { ...service.spec, replicas: stored.replicas }, { rollback: true });
      return "updated";
    }
    // While Swarm rolls back a failed update (or holds one paused), its spec is the one to keep:
    // only the count and the service's existence are repaired.
    const rollingBack = service.updateStatus && service.updateStatus.state !== "completed" && service.updateStatus.state !== "updating";
    const target = reason === "drift" && rollingBack ? { ...service.spec, replicas: stored.replicas } : wanted;
    if (sameSwarmSpec(service.spec, target)) return "unchanged";
    if (reason === "drift") {
      logger.warn({ service: name, swarmReplicas: service.spec.replicas, desired: stored.replicas }, "swarm service drifted from its definition; restoring it");
    }
    await swarm.services.update(service.id, service.version, target);
    return "updated";
  }

  return {
    async write(stored, reason) {
      checkSwarmSupport(stored);
      const name = stored.definition.name;
      for (let tries = 1; ; tries++) {
        try {
          const result = await attempt(stored, reason);
          if (result !== "unchanged") await view.refresh(name).catch(() => undefined);
          return result;
        } catch (err) {
          const raced = isDockhandError(err, "Conflict") || isDockhandError(err, "AlreadyExists") && !(err as DockhandError).message.includes("does not own");
          if (!raced) throw err;
          if (tries >= retries) {
            throw new DockhandError("Aborted", `swarm service "${name}" kept changing under this ${reason} (${tries} tries); try again`, { cause: err });
          }
        }
      }
    },
  };
}
