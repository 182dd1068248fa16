import type { Logger } from "pino";
import type { SwarmEngine, SwarmService, SwarmServiceSpec } from "../../engine/swarm.js";
import { DockhandError, isDockhandError } from "../../model/dockhand-error.js";
import type { StoredService } from "../../model/service-definition.js";
import type { SwarmTaskView } from "./swarm-task-view.js";
import { desiredReplicasLabel, toSwarmSpec } from "./swarm-service-spec.js";
import type { SwarmResources } from "./swarm-resources.js";
import { differingSpecFields } from "./swarm-spec-diff.js";
import type { DriftRecord } from "./drift-record.js";
import { describeDrift, isRollingBack } from "./swarm-drift.js";

export interface SwarmServiceWriterOptions {
  swarm: SwarmEngine;
  view: SwarmTaskView;
  instance: string;
  logger: Logger;
  /** Tries of an update that lost a race with another writer before it answers Aborted. Default 5. */
  conflictRetries?: number;
  /** The networks, secrets and configs a definition names, made before its spec is written. Unset: none are made. */
  resources?: SwarmResources;
  /** Where drift found on a write is recorded, and its repair. */
  drifts?: Pick<DriftRecord, "existed" | "detected" | "repaired">;
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

/** A Swarm service of the name that another owner made: no retry makes it ours. Told by its class, not its words. */
class NotOwnedError extends DockhandError {
  constructor(message: string, options: ConstructorParameters<typeof DockhandError>[2]) {
    super("AlreadyExists", message, options);
  }
}

/** Same content, whatever the definition-version label says. */
export function sameSwarmSpec(a: SwarmServiceSpec, b: SwarmServiceSpec): boolean {
  return differingSpecFields(a, b).length === 0;
}

export function createSwarmServiceWriter(options: SwarmServiceWriterOptions): SwarmServiceWriter {
  const { swarm, view, instance, logger, drifts, resources } = options;
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
    await resources?.ensure(stored.definition);
    const wanted = toSwarmSpec(stored, instance, stored.replicas, resources);
    const service = await current(name);
    if (service && service.spec.labels["dockhand.instance"] !== instance) {
      throw new NotOwnedError(`a swarm service named "${name}" exists that this dockhand does not own`, {
        details: { field: "name" },
      });
    }
    const drift = describeDrift(stored, service, instance, drifts?.existed(name) ?? false, resources);
    if (drift) {
      logger.warn(
        { service: name, drift, swarmReplicas: service?.spec.replicas, desired: stored.replicas },
        "swarm service drifted from its definition; restoring it",
      );
      drifts?.detected(name, drift, stored.version);
    }
    const result = await writeWanted(stored, reason, wanted, service);
    if (drift) drifts?.repaired(name);
    return result;
  }

  async function writeWanted(
    stored: StoredService,
    reason: WriteReason,
    wanted: SwarmServiceSpec,
    service: SwarmService | undefined,
  ): Promise<WriteResult> {
    if (!service) {
      await swarm.services.create(wanted);
      return "created";
    }
    if (reason === "rollback" && service.previousSpec && sameSwarmSpec(service.previousSpec, wanted)) {
      await swarm.services.update(
        service.id,
        service.version,
        { ...service.spec, replicas: stored.replicas },
        { rollback: true },
      );
      return "updated";
    }
    // While Swarm rolls back a failed update (or holds one paused), its spec is the one to keep:
    // only the count and the service's existence are repaired.
    const countOnly = {
      ...service.spec,
      labels: { ...service.spec.labels, [desiredReplicasLabel]: String(stored.replicas) },
      replicas: stored.replicas,
    };
    const target = reason === "drift" && isRollingBack(service) ? countOnly : wanted;
    if (sameSwarmSpec(service.spec, target)) return "unchanged";
    await swarm.services.update(service.id, service.version, target);
    return "updated";
  }

  return {
    async write(stored, reason) {
      const name = stored.definition.name;
      for (let tries = 1; ; tries++) {
        try {
          const result = await attempt(stored, reason);
          if (result !== "unchanged") await view.refresh(name).catch(() => undefined);
          return result;
        } catch (err) {
          const raced =
            isDockhandError(err, "Conflict") ||
            (isDockhandError(err, "AlreadyExists") && !(err instanceof NotOwnedError));
          if (!raced) throw err;
          if (tries >= retries) {
            throw new DockhandError(
              "Aborted",
              `swarm service "${name}" kept changing under this ${reason} (${tries} tries); try again`,
              { cause: err },
            );
          }
        }
      }
    },
  };
}
