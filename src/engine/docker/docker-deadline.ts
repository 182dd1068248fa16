/**
 * The default deadline of engine calls: a call whose caller passes no signal of its own gets
 * one, so that a hung engine fails it with Timeout instead of holding it (and whatever lock
 * its caller holds) forever. dockerode's own `timeout` option is not used: it is an idle
 * timeout on every request and would also cut quiet follow streams.
 */
import { startDeadline } from "../../lib/deadline.js";
import { DockhandError } from "../../model/dockhand-error.js";

/** Runs `run` with the caller's signal, or under the default deadline (plus `extraMs`) when there is none. */
export type DeadlineRunner = <T>(
  operation: string,
  signal: AbortSignal | undefined,
  run: (signal: AbortSignal) => Promise<T>,
  extraMs?: number,
) => Promise<T>;

export function createDeadlineRunner(timeoutMs: number): DeadlineRunner {
  return async (operation, signal, run, extraMs = 0) => {
    if (signal) return run(signal);
    const limitMs = timeoutMs + extraMs;
    const deadline = startDeadline(limitMs);
    try {
      return await run(deadline.signal);
    } catch (err) {
      if (!deadline.expired) throw err;
      throw new DockhandError("Timeout", `${operation}: the Docker engine did not answer within ${limitMs / 1000} s`, { cause: err });
    } finally {
      deadline.clear();
    }
  };
}
