import { isDockhandError } from "../model/dockhand-error.js";
import { createChangeThrottle } from "../lib/change-throttle.js";
import type { Orchestrator } from "./orchestrator.js";
import type { ServiceStatusView } from "./service-status.js";

export interface StatusWatcherOptions {
  /** Where status is read and which services changed; the watcher never changes anything. */
  source: Pick<Orchestrator, "status" | "onStatusChange">;
  /** The shortest time between two status reads of one watch, in ms: a burst of changes is one read. Default 100. */
  coalesceMs?: number;
}

export interface StatusWatcher {
  /**
   * The current status of a service, then a new one after each change, until `signal` aborts.
   * Throws NotFound when the service does not exist or is deleted, Unavailable when the engine
   * cannot be reached at the start.
   */
  watch(name: string, signal: AbortSignal): AsyncIterable<ServiceStatusView>;
}

/**
 * WatchStatus for any backend: it follows the backend's change notices (no engine stream of
 * its own), reads status at once after a lone change and at most once per `coalesceMs` during
 * a burst, and sends a status only when it differs from the last one sent.
 */
export function createStatusWatcher(options: StatusWatcherOptions): StatusWatcher {
  const { source } = options;
  const coalesceMs = options.coalesceMs ?? 100;

  async function* watch(name: string, signal: AbortSignal): AsyncGenerator<ServiceStatusView> {
    const changes = createChangeThrottle(signal, coalesceMs);
    // Subscribed before the first read, so no change between the two is missed.
    const unsubscribe = source.onStatusChange((service) => service === name && changes.mark());
    try {
      let lastSent = "";
      const changed = async (): Promise<ServiceStatusView | undefined> => {
        const view = await source.status(name);
        const key = JSON.stringify(view);
        if (key === lastSent) return undefined;
        lastSent = key;
        return view;
      };
      yield (await changed()) as ServiceStatusView;
      while (await changes.next()) {
        let view: ServiceStatusView | undefined;
        try {
          view = await changed();
        } catch (err) {
          // The backend marks its services changed again once the engine answers.
          if (isDockhandError(err, "Unavailable")) continue;
          throw err;
        }
        if (view) yield view;
      }
    } finally {
      unsubscribe();
      changes.close();
    }
  }

  return { watch };
}
