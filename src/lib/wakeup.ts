/**
 * The "something changed, look again" signal behind a stream that drains a queue or a dirty
 * flag: producers call `notify`, the consumer checks its state and, when there is nothing to do,
 * awaits `next`. Checking and then calling `next` in the same tick loses no notification.
 */
export interface Wakeup {
  notify(): void;
  /** Resolves at the next `notify`, or at once when `signal` is (or becomes) aborted. */
  next(): Promise<void>;
  /** Stops listening to the signal. */
  close(): void;
}

export function createWakeup(signal?: AbortSignal): Wakeup {
  let wake: (() => void) | undefined;
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  signal?.addEventListener("abort", notify);
  return {
    notify,
    next: () => (signal?.aborted ? Promise.resolve() : new Promise<void>((resolve) => (wake = resolve))),
    close: () => signal?.removeEventListener("abort", notify),
  };
}
