import type { SlotFailure } from "../service-status.js";

export type { SlotFailure };

export interface RestartBackoffOptions {
  /** Delay before the second attempt in a row; it doubles with each further failure. Default 1000 ms. */
  baseMs?: number;
  /** Longest delay. Default 30000 ms. */
  capMs?: number;
  /** A container that ran at least this long before it stopped resets its slot's count. Default 10000 ms. */
  stableMs?: number;
  now?: () => number;
}

/**
 * Exponential restart delay per slot, in the manner of Swarm's restart delay: the first
 * failure of a slot is replaced at once; failures in a row wait 1 s, 2 s, 4 s ... up to the cap,
 * so an image that exits at once cannot make dockhand spin.
 */
export interface RestartBackoff {
  recordFailure(
    service: string,
    slot: number,
    failure: { exitCode: number; reason: string; ranMs: number },
  ): SlotFailure;
  /** Milliseconds until the slot may be filled again; 0 when it may be now. */
  waitFor(service: string, slot: number): number;
  /** The failures of a service's slots still in their back-off window or recent. */
  failuresOf(service: string): SlotFailure[];
  /** True when some slot of the service failed twice or more in a row. */
  crashLooping(service: string): boolean;
  /** Called when a slot's container has run for the stable time: forget its failures. */
  markStable(service: string, slot: number): void;
  forgetService(service: string): void;
  /** Tells `listener` the name of each service whose failures or crash-looping changed. */
  onChange(listener: (service: string) => void): () => void;
}

export function createRestartBackoff(options: RestartBackoffOptions = {}): RestartBackoff {
  const baseMs = options.baseMs ?? 1000;
  const capMs = options.capMs ?? 30_000;
  const stableMs = options.stableMs ?? 10_000;
  const now = options.now ?? Date.now;
  const slots = new Map<string, Map<number, SlotFailure>>();
  const listeners = new Set<(service: string) => void>();
  const changed = (service: string) => {
    for (const listener of listeners) listener(service);
  };

  const of = (service: string) => {
    let map = slots.get(service);
    if (!map) slots.set(service, (map = new Map()));
    return map;
  };

  return {
    recordFailure(service, slot, failure) {
      const previous = of(service).get(slot);
      const consecutive = previous && failure.ranMs < stableMs ? previous.consecutive + 1 : 1;
      const delay = consecutive <= 1 ? 0 : Math.min(capMs, baseMs * 2 ** (consecutive - 2));
      const record: SlotFailure = {
        slot,
        exitCode: failure.exitCode,
        reason: failure.reason,
        at: new Date(now()),
        firstAt: consecutive > 1 && previous ? (previous.firstAt ?? previous.at) : new Date(now()),
        consecutive,
        nextAttemptAt: new Date(now() + delay),
      };
      of(service).set(slot, record);
      changed(service);
      return record;
    },
    waitFor(service, slot) {
      const record = slots.get(service)?.get(slot);
      return record ? Math.max(0, record.nextAttemptAt.getTime() - now()) : 0;
    },
    failuresOf(service) {
      return [...(slots.get(service)?.values() ?? [])].sort((a, b) => a.slot - b.slot);
    },
    crashLooping(service) {
      return [...(slots.get(service)?.values() ?? [])].some((f) => f.consecutive >= 2);
    },
    markStable(service, slot) {
      if (slots.get(service)?.delete(slot)) changed(service);
    },
    forgetService(service) {
      if (slots.delete(service)) changed(service);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
