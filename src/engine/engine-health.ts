import type { Logger } from "pino";
import type { Engine } from "./engine.js";

export type ServingState = "SERVING" | "NOT_SERVING";

export interface EngineHealth {
  /** NOT_SERVING while the engine does not answer its ping. */
  current(): ServingState;
  /** Calls `listener` on every change of state; returns the unsubscribe function. */
  subscribe(listener: (state: ServingState) => void): () => void;
  /** Pings now rather than at the next tick, e.g. after a call failed as Unavailable. */
  checkNow(): Promise<ServingState>;
  /** Stops pinging. */
  close(): void;
}

export interface EngineHealthOptions {
  engine: Pick<Engine, "system">;
  /** Time between pings, in ms; a ping also times out after it. Default 2000. */
  intervalMs?: number;
  logger?: Logger;
}

/** Follows whether the Docker engine answers, with a periodic ping. */
export function createEngineHealth(options: EngineHealthOptions): EngineHealth {
  const intervalMs = options.intervalMs ?? 2000;
  const listeners = new Set<(state: ServingState) => void>();
  let state: ServingState = "NOT_SERVING";
  let inFlight: Promise<ServingState> | undefined;

  function set(next: ServingState, reason?: unknown): void {
    if (next === state) return;
    state = next;
    if (next === "SERVING") options.logger?.info("Docker engine answers: serving");
    else
      options.logger?.warn(
        { err: reason instanceof Error ? reason.message : reason },
        "Docker engine does not answer: not serving",
      );
    for (const listener of listeners) listener(next);
  }

  function checkNow(): Promise<ServingState> {
    inFlight ??= options.engine.system
      .ping(AbortSignal.timeout(intervalMs))
      .then(
        () => set("SERVING"),
        (err: unknown) => set("NOT_SERVING", err),
      )
      .then(() => {
        inFlight = undefined;
        return state;
      });
    return inFlight;
  }

  const timer = setInterval(() => void checkNow(), intervalMs);
  timer.unref();

  return {
    current: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    checkNow,
    close() {
      clearInterval(timer);
      listeners.clear();
    },
  };
}
