import type { Logger } from "pino";
import type { Engine } from "../../engine/engine.js";
import type { ContainerStore, EngineReachability } from "../../engine/store/container-store.js";
import type { SecretStore } from "../../registry/secret-store.js";
import type { ServiceRegistry } from "../../registry/service-registry.js";
import type { Orchestrator } from "../orchestrator.js";
import type { ServiceBackend } from "../service-backend.js";
import { underServiceController } from "../service-controller.js";
import type { KeyedLock } from "../../lib/keyed-lock.js";
import { waitUntilReady } from "./ready-wait.js";
import { mergedContainerLogs } from "../merged-container-logs.js";
import { createContainerView, type ContainerView } from "./container-view.js";
import { createReconciler } from "./reconciler.js";
import { createRestartBackoff, type RestartBackoff } from "./restart-backoff.js";
import { createRollingUpdater } from "./rolling-updater.js";
import { createScaler, type Scaler } from "./service-scaler.js";
import { createSlotOperations } from "./slot-operations.js";

export interface LocalOrchestratorOptions {
  engine: Engine;
  /** The engine's containers, kept by its events; this dockhand's own are the view status reads. */
  store: ContainerStore;
  registry: ServiceRegistry;
  /** This dockhand's identity, carried by its containers' labels. */
  instance: string;
  logger: Logger;
  /** A rollout stopped by an engine outage goes on when this says SERVING again. */
  reachability?: EngineReachability;
  secrets?: SecretStore;
  /** The last line a container wrote, for crash reports. */
  lastLogLine?: (id: string) => Promise<string>;
  /** Containers created, started or removed at once per service. Default 8. */
  concurrency?: number;
  maxReplicas?: number;
  resyncIntervalMs?: number;
  orphanGraceMs?: number;
  /** Restart delays per slot. Default: 1 s doubling to 30 s, reset after 10 s of running. */
  backoff?: RestartBackoff;
  /** Least time between two status reads of one watch. Default 100 ms. */
  watchCoalesceMs?: number;
}

/** The `local` backend under the service controller: what `--orchestrator local` runs. */
export function createLocalOrchestrator(options: LocalOrchestratorOptions): Orchestrator {
  return underServiceController(options, (lock) => createLocalBackend({ ...options, lock }));
}

/**
 * The `local` backend's verbs: dockhand keeps each service's count itself on the one engine it
 * is connected to. The parts, each in its own file, are wired here and nowhere else:
 * - the view (this dockhand's containers, projected from the engine's container store);
 * - slot operations (fill a slot, remove a container, pull an image once for all);
 * - the scaler (converge, remove, the convergence pass) with restart backoff per slot;
 * - the reconciler (heals from the view's changes, resyncs, sweeps orphans);
 * - the rolling updater (replaces containers when the definition changes, or rolls back).
 */
export function createLocalBackend(options: LocalOrchestratorOptions & { lock: KeyedLock }): ServiceBackend {
  const { engine, store, registry, instance, logger } = options;
  const view = createContainerView({ store, instance, logger });
  const backoff = options.backoff ?? createRestartBackoff();
  const slots = createSlotOperations({ engine, logger, instance, secrets: options.secrets });
  const scaler = createScaler({
    engine,
    instance,
    registry,
    view,
    logger,
    backoff,
    slots,
    lock: options.lock,
    lastLogLine: options.lastLogLine,
    concurrency: options.concurrency,
  });
  const reconciler = createReconciler({
    scaler,
    slots,
    registry,
    view,
    logger,
    resyncIntervalMs: options.resyncIntervalMs,
    orphanGraceMs: options.orphanGraceMs,
  });
  const updater = createRollingUpdater({ instance, scaler, slots, registry, view, engine, logger });
  let stopResuming: (() => void) | undefined;

  return {
    kind: "local",
    async start() {
      await store.start();
      reconciler.start();
      updater.resumeAll();
      stopResuming = options.reachability?.subscribe((state) => state === "SERVING" && updater.resumeAll());
    },
    async close() {
      stopResuming?.();
      updater.close();
      // A reconcile pass under way ends before close resolves, so no container it creates
      // appears after. Status keeps answering (calls still draining need it) until the store
      // it projects closes.
      await reconciler.close();
    },
    ...scalerVerbs(scaler, view),
    rollOut: (name) => void updater.run(name),
    purgeVolumes: (name) => scaler.purgeVolumes(name),
    unusedVolumes: () => scaler.unusedVolumes(),
    async orphans() {
      return (await reconciler.orphans()).map((o) => ({
        service: o.container.service,
        container: o.container,
        firstSeen: o.firstSeen,
        removeAt: o.removeAt,
      }));
    },
    resync: () => reconciler.resync(),
    async *logs(name, logOptions) {
      yield* mergedContainerLogs(engine.containers, (await scaler.status(name)).containers, logOptions);
    },
  };
}

/** The verbs the scaler and the view answer: converge, observe, count, remove. */
export function scalerVerbs(
  scaler: Scaler,
  view: ContainerView,
): Pick<
  ServiceBackend,
  "checkRunnable" | "converge" | "awaitScaled" | "observe" | "onChange" | "isTrusted" | "runningCount" | "remove"
> {
  return {
    checkRunnable: (stored, replicas) => scaler.checkRunnable(stored, replicas),
    converge: (stored, current) => scaler.converge(stored, current),
    async awaitScaled(name, desired, scaleOptions) {
      // The pass already left the count running; readiness may take longer.
      if (scaleOptions.waitFor === "ready") await waitUntilReady(view, name, desired, scaleOptions.signal);
    },
    observe: (name) => scaler.status(name),
    // Every input status reads says when it changed: the containers, and the failures and restart delays.
    onChange(listener) {
      const offView = view.onChange(listener);
      const offScaler = scaler.onStatusChange(listener);
      return () => {
        offView();
        offScaler();
      };
    },
    isTrusted: () => view.isTrusted(),
    runningCount: (name) => scaler.runningCount(name),
    remove: (stored) => scaler.remove(stored),
  };
}
