import { sleep } from "./sleep.js";
import { createWakeup } from "./wakeup.js";

/**
 * A "something changed" flag read at most once per `minGapMs`: throttled rather than debounced,
 * so a lone change (a container dying) is seen at once and a burst costs one read per gap.
 * `mark` sets it; `next` resolves true once it is set and the gap since the previous `next` (or
 * since creation) has passed, and false when `signal` aborts.
 */
export interface ChangeThrottle {
  mark(): void;
  next(): Promise<boolean>;
  close(): void;
}

export function createChangeThrottle(signal: AbortSignal, minGapMs: number): ChangeThrottle {
  const wakeup = createWakeup(signal);
  let dirty = false;
  let last = performance.now();
  return {
    mark() {
      dirty = true;
      wakeup.notify();
    },
    async next() {
      while (!signal.aborted) {
        if (!dirty) {
          await wakeup.next();
          continue;
        }
        const early = last + minGapMs - performance.now();
        if (early > 0) await sleep(early, signal);
        if (signal.aborted) break;
        dirty = false;
        last = performance.now();
        return true;
      }
      return false;
    },
    close: () => wakeup.close(),
  };
}
