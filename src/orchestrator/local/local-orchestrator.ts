import type { Logger } from "pino";
import type { Engine } from "../../engine/engine.js";
import type { ContainerStore, EngineReachability } from "../../engine/store/container-store.js";
import type { SecretStore } from "../../registry/secret-store.js";
import type { ServiceRegistry } from "../../registry/service-registry.js";
import type { Orchestrator } from "../orchestrator.js";
import { createStatusCache } from "../status-cache.js";
import { createStatusWatcher } from "../status-watcher.js";
import { mergedContainerLogs } from "../merged-container-logs.js";
import { createContainerView } from "./container-view.js";
import { createReconciler } from "./reconciler.js";
import { createRestartBackoff, type RestartBackoff } from "./restart-backoff.js";
import { createRollingUpdater } from "./rolling-updater.js";
import { createScaler } from "./service-scaler.js";
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

/**
 * The `local` backend: dockhand keeps each service's count itself on the one engine it is
 * connected to. The parts, each in its own file, are wired here and nowhere else:
 * - the view (this dockhand's containers, projected from the engine's container store);
 * - slot operations (fill a slot, remove a container, pull an image once for all);
 * - the scaler (Scale, delete, the convergence pass) with restart backoff per slot;
 * - the reconciler (heals from the view's changes, resyncs, sweeps orphans);
 * - the rolling updater (replaces containers when the definition changes, or rolls back).
 */
export function createLocalOrchestrator(options: LocalOrchestratorOptions): Orchestrator {
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
    lastLogLine: options.lastLogLine,
    concurrency: options.concurrency,
    maxReplicas: options.maxReplicas,
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

  // Every input status reads says when it changed: the containers, the failures and restart
  // delays, and the stored definition (desired count and rollout included).
  const listeners = new Set<(service: string) => void>();
  const changed = (service: string) => {
    for (const listener of listeners) listener(service);
  };
  view.onChange(changed);
  backoff.onChange(changed);
  registry.onChange(changed);
  const onStatusChange = (listener: (service: string) => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  const cache = createStatusCache({ source: { status: scaler.status, onStatusChange }, trusted: view.isTrusted });
  const watcher = createStatusWatcher({ source: { status: cache.status, onStatusChange }, coalesceMs: options.watchCoalesceMs });
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
    scale: (name, replicas, scaleOptions) => scaler.scale(name, replicas, scaleOptions),
    status: (name) => cache.status(name),
    watch: (name, signal) => watcher.watch(name, signal),
    onStatusChange,
    isTrusted: () => view.isTrusted(),
    rollOut: (name) => void updater.run(name),
    deleteService: (name, force) => scaler.deleteService(name, force),
    purgeVolumes: (name) => scaler.purgeVolumes(name),
    unusedVolumes: () => scaler.unusedVolumes(),
    async orphans() {
      return (await reconciler.orphans()).map((o) => ({ service: o.container.service, container: o.container, firstSeen: o.firstSeen, removeAt: o.removeAt }));
    },
    resync: () => reconciler.resync(),
    async *serviceLogs(name, logOptions) {
      yield* mergedContainerLogs(engine.containers, (await scaler.status(name)).containers, logOptions);
    },
  };
}
