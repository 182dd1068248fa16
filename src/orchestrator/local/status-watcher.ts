import type { EngineEventItem, EngineEvents } from "../../engine/event-stream.js";
import { isDockhandError } from "../../model/dockhand-error.js";
import { serviceFilter } from "../../model/ownership-labels.js";
import type { Scaler } from "./service-scaler.js";
import type { ServiceStatusView } from "../service-status.js";

export interface StatusWatcherOptions {
  /** Reads a service's status; the watcher never changes anything. */
  scaler: Pick<Scaler, "status">;
  events: EngineEvents;
  /** How long a burst of container events is gathered into one status read, in ms. Default 100. */
  coalesceMs?: number;
}

export interface StatusWatcher {
  /**
   * The current status of a service, then a new one after each change of one of its
   * containers, until `signal` aborts. Throws NotFound when the service does not exist or is
   * deleted, Unavailable when the engine cannot be reached at the start.
   */
  watch(name: string, signal: AbortSignal): AsyncIterable<ServiceStatusView>;
}

/** The engine actions after which a container's state, health or name may differ. */
const stateActions = ["create", "start", "restart", "die", "pause", "unpause", "destroy", "health_status", "rename"];

const quiet = Symbol("quiet");

type Next = Promise<IteratorResult<EngineEventItem>>;

function nextOf(iterator: AsyncIterator<EngineEventItem>): Next {
  const next = iterator.next();
  // Awaited later, possibly after a status read: keep a failure meanwhile from being unhandled.
  next.catch(() => undefined);
  return next;
}

function after(ms: number): Promise<typeof quiet> {
  return new Promise((resolve) => setTimeout(() => resolve(quiet), ms));
}

export function createStatusWatcher(options: StatusWatcherOptions): StatusWatcher {
  const { scaler, events } = options;
  const coalesceMs = options.coalesceMs ?? 100;

  async function* watch(name: string, signal: AbortSignal): AsyncGenerator<ServiceStatusView> {
    // Ending the event stream by abort, not only by return(): a generator's return() would
    // wait behind the read still pending on a quiet stream.
    const stop = new AbortController();
    const changes = events.watchEvents({
      filters: { types: ["container"], labels: [serviceFilter(name)], actions: stateActions },
      signal: AbortSignal.any([signal, stop.signal]),
    });
    const iterator = changes[Symbol.asyncIterator]();
    try {
      // Subscribed before the first read, so no change between the two is missed.
      if ((await iterator.next()).done) return;
      let lastSent = "";
      const changed = async (): Promise<ServiceStatusView | undefined> => {
        const view = await scaler.status(name);
        const key = JSON.stringify(view);
        if (key === lastSent) return undefined;
        lastSent = key;
        return view;
      };
      yield (await changed()) as ServiceStatusView;
      let pending = nextOf(iterator);
      for (;;) {
        if ((await pending).done) return;
        pending = nextOf(iterator);
        for (;;) {
          const more = await Promise.race([pending, after(coalesceMs)]);
          if (more === quiet) break;
          if (more.done) return;
          pending = nextOf(iterator);
        }
        let view: ServiceStatusView | undefined;
        try {
          view = await changed();
        } catch (err) {
          // The event stream reconnects on its own and says so, which triggers the next read.
          if (isDockhandError(err, "Unavailable")) continue;
          throw err;
        }
        if (view) yield view;
      }
    } finally {
      stop.abort();
      await iterator.return?.();
    }
  }

  return { watch };
}
