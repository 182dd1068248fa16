/**
 * The default deadline of every non-streaming engine call, in one place, as cri-dockerd gives
 * each of its calls a timeout: a call whose caller passes no signal of its own gets one, so
 * that a hung engine fails it with Timeout instead of holding it (and whatever lock its caller
 * holds) forever. dockerode's own `timeout` option is not used: it is an idle timeout on every
 * request and would also cut quiet follow streams. Streams, waits and image transfers end by
 * their own signal and get no deadline.
 */
import { startDeadline } from "../../lib/deadline.js";
import { DockhandError } from "../../model/dockhand-error.js";
import { engineCall, type EngineCallOptions } from "./docker-errors.js";

export interface TimedCallOptions extends EngineCallOptions {
  /** Added to the default deadline, in ms: a stop's grace period. Default 0. */
  extraMs?: number;
}

/**
 * Runs one engine call with the caller's signal, or under the default deadline when the caller
 * gave none, turning whatever it throws into a DockhandError (Timeout when the deadline passed,
 * even if the request itself cannot be aborted).
 */
export type EngineCall = <T>(
  operation: string,
  signal: AbortSignal | undefined,
  run: (signal: AbortSignal) => Promise<T>,
  options?: TimedCallOptions,
) => Promise<T>;

export function createEngineCall(timeoutMs: number): EngineCall {
  return async (operation, signal, run, options = {}) => {
    if (signal) return engineCall(operation, () => run(signal), options);
    const limitMs = timeoutMs + (options.extraMs ?? 0);
    const deadline = startDeadline(limitMs);
    // Raced as well as passed on: a request that cannot be aborted still fails at the deadline.
    const expired = new Promise<never>((_, reject) => {
      deadline.signal.addEventListener("abort", () => reject(deadline.signal.reason), { once: true });
    });
    try {
      return await Promise.race([engineCall(operation, () => run(deadline.signal), options), expired]);
    } catch (err) {
      if (!deadline.expired) throw err;
      throw new DockhandError("Timeout", `${operation}: the Docker engine did not answer within ${limitMs / 1000} s`, {
        cause: err,
      });
    } finally {
      deadline.clear();
    }
  };
}
