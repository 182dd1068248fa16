import type { StoredService } from "../../model/service-definition.js";
import type { ServiceRegistry } from "../../registry/service-registry.js";
import type { ConditionRecord } from "../conditions.js";
import { sortConditions } from "../conditions.js";
import { derivedConditions, type ServiceStatusView } from "../service-status.js";
import type { ContainerView } from "./container-view.js";
import type { RestartBackoff } from "./restart-backoff.js";

/** A service's status on the local backend, and word of when it changed. */
export interface LocalStatus {
  status(name: string, stored?: StoredService): Promise<ServiceStatusView>;
  /**
   * Tells `listener` when a service's status changed for a reason the live view does not see
   * (its slots' failures and crash-looping, the conditions its passes ran into).
   */
  onStatusChange(listener: (service: string) => void): () => void;
}

/**
 * Status is read, never asked of the engine: the view's containers, the restart backoff's
 * failure records, and the conditions the converge passes met.
 */
export function createLocalStatus(options: {
  view: ContainerView;
  registry: ServiceRegistry;
  backoff: RestartBackoff;
  conditions: ConditionRecord;
}): LocalStatus {
  const { view, registry, backoff, conditions } = options;
  return {
    async status(name, stored = registry.get(name)) {
      const containers = await view.containersOf(name);
      const failures = backoff.failuresOf(name);
      return {
        name,
        desired: stored.replicas,
        running: containers.reduce((n, c) => (c.state === "running" ? n + 1 : n), 0),
        paused: containers.reduce((n, c) => (c.state === "paused" ? n + 1 : n), 0),
        version: stored.version,
        containers,
        crashLooping: backoff.crashLooping(name),
        failures,
        rollout: stored.rollout,
        conditions: sortConditions([
          ...conditions.of(name),
          ...derivedConditions({ failures, containers, rollout: stored.rollout }),
        ]),
      };
    },
    onStatusChange(listener) {
      const offBackoff = backoff.onChange(listener);
      const offConditions = conditions.onChange(listener);
      return () => {
        offBackoff();
        offConditions();
      };
    },
  };
}
