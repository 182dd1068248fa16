import type { Logger } from "pino";
import { createKeyedLock, type KeyedLock } from "../lib/keyed-lock.js";
import { DockhandError, invalidArgument, isDockhandError } from "../model/dockhand-error.js";
import type { ServiceRegistry } from "../registry/service-registry.js";
import type { Orchestrator } from "./orchestrator.js";
import type { ServiceBackend } from "./service-backend.js";
import { awaitRolloutOutcome } from "./rollout-outcome.js";
import { createStatusCache } from "./status-cache.js";
import { createStatusWatcher } from "./status-watcher.js";

export interface ServiceControllerOptions {
  registry: ServiceRegistry;
  /** The verbs of the backend that runs the services. */
  backend: ServiceBackend;
  /** The per-service lock, shared with the backend's own work (healing, rollouts). */
  lock: KeyedLock;
  logger: Logger;
  /** Largest replica count a Scale may ask for. Default 100. */
  maxReplicas?: number;
  /** Least time between two status reads of one watch. Default 100 ms. */
  watchCoalesceMs?: number;
}

/** Rollout states in which the backend still has containers to replace. */
const underWay = new Set(["updating", "rolling_back", "canary"]);

/**
 * Every decision about services that does not depend on where their containers run, above
 * whichever backend runs them:
 * - Scale: the replica range and the backend's own limits, checked before anything changes;
 *   the desired count recorded; the last Scale of a service wins, and an earlier one still
 *   waiting answers ABORTED;
 * - delete: refused while containers run, unless forced (then scaled to 0 first);
 * - status: one cache over the backend's observations, and every watch reads through it;
 * - rollouts: started here when the registry records one (a new definition, a rollback),
 *   whoever wrote it; no caller starts one.
 * The backend (`service-backend.ts`) only converges, observes, removes and streams logs.
 */
export function createServiceController(options: ServiceControllerOptions): Orchestrator {
  const { registry, backend, lock, logger } = options;
  const maxReplicas = options.maxReplicas ?? 100;
  /** The latest Scale request per service; an older one is superseded. */
  const latestRequest = new Map<string, number>();
  let requests = 0;
  /** The rollout (by its target version and state) last handed to the backend, per service. */
  const rolledOut = new Map<string, string>();

  const listeners = new Set<(service: string) => void>();
  const changed = (service: string) => {
    for (const listener of listeners) listener(service);
  };
  const onStatusChange = (listener: (service: string) => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  const unsubscribe = [
    backend.onChange(changed),
    registry.onChange(changed),
    registry.onChange(startRolloutIfRecorded),
  ];
  const cache = createStatusCache({
    source: { status: (name) => backend.observe(name), onStatusChange },
    trusted: () => backend.isTrusted(),
  });
  const watcher = createStatusWatcher({
    source: { status: cache.status, onStatusChange },
    coalesceMs: options.watchCoalesceMs,
  });

  /** A rollout the registry recorded and the backend was not yet given starts now. */
  function startRolloutIfRecorded(name: string): void {
    const stored = registry.find(name);
    const rollout = stored?.rollout;
    if (!stored || !rollout || rollout.endedAt || !underWay.has(rollout.state)) {
      if (!stored) rolledOut.delete(name);
      return;
    }
    // A promotion keeps the version but moves the state on: handed over again.
    const key = `${rollout.toVersion}:${rollout.state}`;
    if (rolledOut.get(name) === key) return;
    rolledOut.set(name, key);
    backend.rollOut(name);
  }

  const superseded = (name: string) =>
    new DockhandError("Aborted", `scale of service "${name}" was superseded by a later Scale call`);

  function untilAborted(signal: AbortSignal | undefined): Promise<never> | undefined {
    if (!signal) return undefined;
    return new Promise<never>((_, reject) => {
      const fail = () =>
        reject(
          new DockhandError(
            "Timeout",
            "the call's deadline passed before the scale finished; it goes on in the background",
          ),
        );
      if (signal.aborted) fail();
      else signal.addEventListener("abort", fail, { once: true });
    });
  }

  return {
    kind: backend.kind,
    start: () => backend.start(),
    async close() {
      for (const off of unsubscribe) off();
      cache.close();
      await backend.close();
    },
    async scale(name, replicas, scaleOptions) {
      if (!Number.isInteger(replicas) || replicas < 0 || replicas > maxReplicas) {
        throw invalidArgument("replicas", `must be between 0 and ${maxReplicas} (got ${replicas})`);
      }
      backend.checkRunnable(registry.get(name), replicas);
      const request = ++requests;
      latestRequest.set(name, request);
      const current = () => latestRequest.get(name) === request;
      await registry.setReplicas(name, replicas);
      const work = lock.run(name, async () => {
        if (!current()) throw superseded(name);
        await backend.converge(registry.get(name), current);
        if (!current()) throw superseded(name);
      });
      if (!scaleOptions.wait) {
        work.catch((err: unknown) => {
          if (!isDockhandError(err, "Aborted")) logger.warn({ err, service: name }, "background scale failed");
        });
        return backend.observe(name);
      }
      const aborted = untilAborted(scaleOptions.signal);
      if (aborted) work.catch(() => undefined);
      await (aborted ? Promise.race([work, aborted]) : work);
      await backend.awaitScaled(
        name,
        () => registry.find(name)?.replicas ?? 0,
        scaleOptions,
        () => !current(),
      );
      if (!current()) throw superseded(name);
      return backend.observe(name);
    },
    status: (name) => cache.status(name),
    watch: (name, signal) => watcher.watch(name, signal),
    onStatusChange,
    isTrusted: () => backend.isTrusted(),
    peekStatus: (name) => cache.peek(name),
    awaitRollout: (name, version, signal) => awaitRolloutOutcome(registry, name, version, signal),
    deleteService(name, force) {
      return lock.run(name, async () => {
        const stored = registry.get(name);
        const running = await backend.runningCount(name);
        if (running > 0 && !force) {
          throw new DockhandError(
            "FailedPrecondition",
            `service "${name}" has ${running} running container(s); scale it to 0 first, or delete with force`,
          );
        }
        // A Scale still queued behind this one is superseded.
        latestRequest.set(name, ++requests);
        if (stored.replicas !== 0) await registry.setReplicas(name, 0);
        const removed = await backend.remove(registry.get(name));
        await registry.remove(name);
        latestRequest.delete(name);
        return removed;
      });
    },
    purgeVolumes: (name) => backend.purgeVolumes(name),
    unusedVolumes: () => backend.unusedVolumes(),
    orphans: () => backend.orphans(),
    serviceLogs: (name, logOptions) => backend.logs(name, logOptions),
    resync: () => backend.resync(),
  };
}

/**
 * The Orchestrator a backend runs under: the controller over the verbs `makeBackend` builds,
 * both holding the one per-service lock. Every backend is put together this way.
 */
export function underServiceController(
  options: Pick<ServiceControllerOptions, "registry" | "logger" | "maxReplicas" | "watchCoalesceMs">,
  makeBackend: (lock: KeyedLock) => ServiceBackend,
): Orchestrator {
  const lock = createKeyedLock();
  return createServiceController({ ...options, backend: makeBackend(lock), lock });
}
