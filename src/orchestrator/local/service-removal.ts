import type { Logger } from "pino";
import type { Engine } from "../../engine/engine.js";
import type { StoredService } from "../../model/service-definition.js";
import type { ServiceRegistry } from "../../registry/service-registry.js";
import { runBounded } from "../../lib/bounded.js";
import type { ConditionRecord } from "../conditions.js";
import type { ContainerView } from "./container-view.js";
import type { RestartBackoff } from "./restart-backoff.js";
import { listServiceContainers } from "./service-containers.js";
import { removeUnusedNetworks } from "./service-networks.js";
import type { SlotOperations } from "./slot-operations.js";

/**
 * Removes every container of a service being deleted, forgets its restart delays and
 * conditions, and removes the networks dockhand made for it once nothing else uses them.
 * Resolves with how many containers went. (Whether it may be deleted is the controller's rule.)
 */
export function createServiceRemoval(options: {
  engine: Engine;
  instance: string;
  registry: ServiceRegistry;
  view: ContainerView;
  slots: SlotOperations;
  backoff: RestartBackoff;
  conditions: ConditionRecord;
  logger: Logger;
  concurrency: number;
}): (stored: StoredService) => Promise<number> {
  const { engine, instance, registry, view, slots, backoff, conditions, logger } = options;
  return async (stored) => {
    const name = stored.definition.name;
    const containers = await listServiceContainers(engine, instance, name);
    const failure = await runBounded(containers, options.concurrency, (c) =>
      slots.removeContainer(c, stored.definition.stopGraceSeconds),
    );
    await view.resyncService(name).catch(() => undefined);
    if (failure) throw failure;
    backoff.forgetService(name);
    conditions.forget(name);
    const others = registry.list().filter((s) => s.definition.name !== name);
    const removedNetworks = await removeUnusedNetworks(engine, instance, stored.definition, (network) =>
      others.some((s) => s.definition.networks?.includes(network)),
    );
    if (removedNetworks.length > 0)
      logger.info(
        { service: name, networks: removedNetworks },
        "removed the networks dockhand made for a deleted service",
      );
    return containers.length;
  };
}
