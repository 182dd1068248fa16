import { eventKey, type EngineEvent, type EngineEventLog } from "../event-stream.js";

/** Far more events than the engine logs between two lists of a busy caller. */
const rememberedEvents = 4096;

/**
 * How far the store's one event stream has come: the engine's time of the newest event it
 * brought, and the keys of the last ones, so that a list can tell whether every event the
 * engine logged has reached the store.
 */
export interface EventPosition {
  /** Notes an event the stream brought. */
  received(event: EngineEvent): void;
  /** Events the engine logged before the subscription never come down the stream: they count as received. */
  coverEarlier(signal: AbortSignal): Promise<void>;
  /** The engine's events since the newest one received, as its log holds them now. */
  loggedSince(signal: AbortSignal | undefined): Promise<EngineEvent[]>;
  /** Waits until the stream has brought every one of `events`; false if it did not within `waitMs` or `signal` aborted. */
  caughtUp(events: EngineEvent[], waitMs: number, signal: AbortSignal | undefined): Promise<boolean>;
}

export function createEventPosition(log: EngineEventLog): EventPosition {
  /** The engine's time of the newest event the stream brought (or of subscribing). */
  let seenNano = 0n;
  const keys = new Set<string>();
  const waiters = new Set<() => void>();

  function note(event: EngineEvent): void {
    if (event.timeNano > seenNano) seenNano = event.timeNano;
    keys.add(eventKey(event));
    if (keys.size > rememberedEvents) keys.delete(keys.values().next().value as string);
  }

  return {
    received(event) {
      note(event);
      for (const wake of waiters) wake();
    },
    async coverEarlier(signal) {
      const since = BigInt(Date.now() - 5000) * 1_000_000n;
      const earlier = await log.logged({ since, until: new Date(), filters: { types: ["container"] }, signal });
      if (since > seenNano) seenNano = since;
      for (const event of earlier) note(event);
    },
    loggedSince: (signal) =>
      log.logged({ since: seenNano, until: new Date(), filters: { types: ["container"] }, signal }),
    caughtUp(events, waitMs, signal) {
      const wanted = events.map(eventKey);
      const all = () => wanted.every((key) => keys.has(key));
      if (all()) return Promise.resolve(true);
      return new Promise((resolve) => {
        const finish = (result: boolean) => {
          clearTimeout(timer);
          waiters.delete(check);
          signal?.removeEventListener("abort", abort);
          resolve(result);
        };
        const check = () => all() && finish(true);
        const abort = () => finish(false);
        const timer = setTimeout(abort, waitMs);
        waiters.add(check);
        signal?.addEventListener("abort", abort, { once: true });
      });
    },
  };
}
