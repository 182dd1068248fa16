/**
 * A signal that aborts when a time runs out or when a parent signal aborts, whichever comes
 * first, and that says which of the two it was. A plain timer rather than
 * `AbortSignal.any([parent, AbortSignal.timeout(ms)])`: Node may garbage-collect a timeout
 * signal that only a composite signal refers to, and then it never fires.
 */
export interface Deadline {
  readonly signal: AbortSignal;
  /** True once the time ran out (false when the parent aborted first). */
  readonly expired: boolean;
  /** Stops the timer and lets go of the parent; the signal stays as it is. Call it when done. */
  clear(): void;
  /** Clears, then aborts the signal now (not counted as expired). */
  abort(): void;
}

export function startDeadline(ms: number, parent?: AbortSignal): Deadline {
  const controller = new AbortController();
  let expired = false;
  const onParentAbort = () => {
    clear();
    controller.abort(parent?.reason);
  };
  const timer = setTimeout(() => {
    expired = true;
    clear();
    controller.abort(new DOMException(`deadline of ${ms} ms exceeded`, "TimeoutError"));
  }, ms);
  function clear(): void {
    clearTimeout(timer);
    parent?.removeEventListener("abort", onParentAbort);
  }
  if (parent?.aborted) onParentAbort();
  else parent?.addEventListener("abort", onParentAbort, { once: true });
  return {
    signal: controller.signal,
    get expired() {
      return expired;
    },
    clear,
    abort() {
      clear();
      controller.abort();
    },
  };
}
