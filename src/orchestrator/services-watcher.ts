import { isDockhandError } from "../model/dockhand-error.js";
import type { ServiceRegistry } from "../registry/service-registry.js";
import type { Orchestrator } from "./orchestrator.js";
import type { ServiceStatusView } from "./service-status.js";
import { createChangeThrottle } from "../lib/change-throttle.js";

/** One message of the all-services watch: new or changed statuses, and deleted names. */
export interface ServicesChange {
  /** True on the first change: `statuses` holds every service. */
  reset: boolean;
  statuses: ServiceStatusView[];
  removed: string[];
}

export interface ServicesWatcherOptions {
  /** Where status is read and which services changed; the watcher never changes anything. */
  source: Pick<Orchestrator, "status" | "onStatusChange">;
  /** The services that exist; a new or deleted definition is a change too. */
  registry: Pick<ServiceRegistry, "list" | "onChange">;
  /** Least time between two reads, in ms: a change after a quiet spell is read at once, a burst at most this often. Default 100. */
  coalesceMs?: number;
}

export interface ServicesWatcher {
  /**
   * Every service's status, then the ones that changed after each change of a container or of
   * the registry, until `signal` aborts. Throws Unavailable when the engine cannot be reached
   * at the start.
   */
  watch(signal: AbortSignal): AsyncIterable<ServicesChange>;
}

export function createServicesWatcher(options: ServicesWatcherOptions): ServicesWatcher {
  const { source, registry } = options;
  const coalesceMs = options.coalesceMs ?? 100;

  /** The status of each service still defined; one deleted while being read is left out. */
  async function readAll(): Promise<ServiceStatusView[]> {
    const read = await Promise.all(
      registry.list().map(async (stored) => {
        try {
          return await source.status(stored.definition.name);
        } catch (err) {
          if (isDockhandError(err, "NotFound")) return undefined;
          throw err;
        }
      }),
    );
    return read.filter((v) => v !== undefined);
  }

  async function* watch(signal: AbortSignal): AsyncGenerator<ServicesChange> {
    const changes = createChangeThrottle(signal, coalesceMs);
    const changed = () => changes.mark();
    // Subscribed before the first read, so no change between the two is missed.
    const unsubscribe = [source.onStatusChange(changed), registry.onChange(changed)];
    try {
      const sent = new Map<string, string>();
      const first = await readAll();
      for (const status of first) sent.set(status.name, JSON.stringify(status));
      yield { reset: true, statuses: first, removed: [] };
      while (await changes.next()) {
        let all: ServiceStatusView[];
        try {
          all = await readAll();
        } catch (err) {
          // The view says when the engine is back, which marks every service changed again.
          if (isDockhandError(err, "Unavailable")) continue;
          throw err;
        }
        const statuses: ServiceStatusView[] = [];
        const present = new Set<string>();
        for (const status of all) {
          present.add(status.name);
          const key = JSON.stringify(status);
          if (sent.get(status.name) === key) continue;
          sent.set(status.name, key);
          statuses.push(status);
        }
        const removed = [...sent.keys()].filter((name) => !present.has(name));
        for (const name of removed) sent.delete(name);
        if (statuses.length > 0 || removed.length > 0) yield { reset: false, statuses, removed };
      }
    } finally {
      for (const stop of unsubscribe) stop();
      changes.close();
    }
  }

  return { watch };
}
