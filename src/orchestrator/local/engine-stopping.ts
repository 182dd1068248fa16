import type { Engine } from "../../engine/engine.js";
import { isDockhandError } from "../../model/dockhand-error.js";
import { conditionTypeOf } from "../conditions.js";

/** How long a Scale whose containers exited with 143/137 watches the engine for going away, and how often it asks. */
const watchMs = 2000;
const everyMs = 250;

/**
 * Whether a Scale's failure is one an engine shutting down causes: dockerd stops every container
 * with SIGTERM (exit 143, or 137 once it kills) and refuses starts with a 500 while it stops.
 */
export function mayBeEngineShutdown(err: unknown, exitCode?: number): boolean {
  if (exitCode === 143 || exitCode === 137) return true;
  // A port taken is the host's trouble, and an image that cannot be pulled the registry's or the
  // reference's, whatever code the engine gave them.
  const condition = conditionTypeOf(err);
  if (condition === "port_taken" || condition === "image_pull_failed") return false;
  // The engine's own failure anywhere along the causes: unreachable, or a 5xx it answered (some
  // of which the engine module names a refusal, such as a start's).
  for (let at: unknown = err, depth = 0; at instanceof Error && depth < 10; at = at.cause, depth++) {
    if (isDockhandError(at, "Internal") || isDockhandError(at, "Unavailable")) return true;
    const status = isDockhandError(at) ? at.details.statusCode : undefined;
    if (typeof status === "number" && status >= 500) return true;
  }
  return false;
}

/**
 * A failure that is the engine's own, not the request's: a 500 it answered (a start it could
 * not carry out while stopping or starting up, a removal its storage driver failed), or the
 * engine unreachable. A port taken is the host's (FailedPrecondition).
 */
export function engineFault(err: unknown): boolean {
  return mayBeEngineShutdown(err);
}

/**
 * True when the engine stops answering within a short watch: the failure was its shutdown,
 * which a client should retry once it is back (UNAVAILABLE), not the definition's fault. An
 * engine that goes on answering leaves the failure as it was.
 */
export async function engineWentAway(engine: Pick<Engine, "system">): Promise<boolean> {
  const until = Date.now() + watchMs;
  for (;;) {
    try {
      await engine.system.ping(AbortSignal.timeout(1000));
    } catch {
      return true;
    }
    if (Date.now() >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
