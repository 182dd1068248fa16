import { DockhandError } from "../model/dockhand-error.js";
import type { StoredService } from "../model/service-definition.js";
import type { ServiceRegistry } from "../registry/service-registry.js";

/** How the rollout to one version of a service ended. */
export type RolloutOutcome =
  | { kind: "completed"; message: string }
  /** It paused on a failure, or was rolled back to the previous definition (which paused or finished). */
  | { kind: "failed"; state: "paused" | "rolled_back"; message: string }
  | { kind: "superseded"; byVersion: number }
  | { kind: "deleted" };

/**
 * The outcome of the rollout to `version`, read from what the registry stores; undefined while
 * it is still under way. A rollback after a failure is a new version whose rollout starts
 * from `version`: the outcome is known once that rollback has ended.
 */
export function rolloutOutcome(stored: StoredService | undefined, version: number): RolloutOutcome | undefined {
  if (!stored) return { kind: "deleted" };
  const rollout = stored.rollout;
  if (stored.version === version) {
    // No rollout recorded (an identical definition changed nothing): nothing to wait for.
    if (!rollout || rollout.toVersion !== version) return { kind: "completed", message: "" };
    if (!rollout.endedAt) return undefined;
    return rollout.state === "completed"
      ? { kind: "completed", message: rollout.message }
      : { kind: "failed", state: "paused", message: rollout.message };
  }
  if (stored.version < version) return { kind: "superseded", byVersion: stored.version };
  const rollingBack =
    rollout?.fromVersion === version &&
    (rollout.state === "rolling_back" || rollout.state === "rolled_back" || rollout.state === "paused");
  if (!rollingBack || stored.version !== rollout.toVersion) return { kind: "superseded", byVersion: stored.version };
  if (!rollout.endedAt) return undefined;
  return {
    kind: "failed",
    state: rollout.state === "rolled_back" ? "rolled_back" : "paused",
    message: rollout.message,
  };
}

/** Resolves with the outcome of the rollout to `version` once it is known; rejects with Timeout when `signal` aborts first. */
export function awaitRolloutOutcome(
  registry: Pick<ServiceRegistry, "find" | "onChange">,
  name: string,
  version: number,
  signal?: AbortSignal,
): Promise<RolloutOutcome> {
  return new Promise((resolve, reject) => {
    const finish = (outcome: RolloutOutcome | undefined, err?: Error) => {
      if (!outcome && !err) return;
      off();
      signal?.removeEventListener("abort", abort);
      if (err) reject(err);
      else resolve(outcome!);
    };
    const abort = () =>
      finish(
        undefined,
        new DockhandError(
          "Timeout",
          `the call's deadline passed before the rollout of service "${name}" to version ${version} ended; it goes on (Scaler.GetStatus shows it)`,
        ),
      );
    const off = registry.onChange(
      (changed) => changed === name && finish(rolloutOutcome(registry.find(name), version)),
    );
    if (signal?.aborted) return abort();
    signal?.addEventListener("abort", abort, { once: true });
    finish(rolloutOutcome(registry.find(name), version));
  });
}
