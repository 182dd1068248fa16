import type { Logger } from "pino";
import { isDockhandError } from "../../model/dockhand-error.js";
import type { ServiceRegistry } from "../../registry/service-registry.js";
import { runBounded } from "../../lib/bounded.js";
import type { ContainerView, OwnedContainer } from "./container-view.js";
import type { Scaler } from "./service-scaler.js";
import type { SlotOperations } from "./slot-operations.js";
import { countsTowardTarget } from "./readiness.js";
import { isCanary } from "../../model/canary-names.js";

export interface OrphanView {
  container: OwnedContainer;
  firstSeen: Date;
  /** When the resync removes it, unless a definition of its service appears first. */
  removeAt: Date;
}

export interface ReconcilerOptions {
  scaler: Pick<Scaler, "reconcile" | "exclusive">;
  /** The container operations shared with the scaler. */
  slots: Pick<SlotOperations, "removeContainer">;
  registry: ServiceRegistry;
  view: ContainerView;
  logger: Logger;
  /** Time between full resyncs (view rebuilt, every service checked, orphans swept). Default 30 s. */
  resyncIntervalMs?: number;
  /** How long a container no definition owns is left alone before it is removed. Default 60 s. */
  orphanGraceMs?: number;
  /** Changes arriving within this window are handled in one pass. Default 20 ms. */
  debounceMs?: number;
}

export interface Reconciler {
  /** Checks every service now, then follows the view's changes and resyncs periodically. */
  start(): void;
  /** Stops acting on changes, and resolves once the passes already under way have ended. */
  close(): Promise<void>;
  /** Containers with dockhand's labels whose service has no definition. */
  orphans(): Promise<OrphanView[]>;
  /** One full resync now (for tests and start-up). */
  resync(): Promise<void>;
}

/**
 * Holds running = desired for every service: driven by the live view's changes (a container
 * died, was removed, turned unhealthy), with a slow periodic resync as a safety net that also
 * removes orphans after a grace period. It never touches containers without dockhand's labels.
 */
export function createReconciler(options: ReconcilerOptions): Reconciler {
  const { scaler, registry, view, logger } = options;
  const resyncIntervalMs = options.resyncIntervalMs ?? 30_000;
  const orphanGraceMs = options.orphanGraceMs ?? 60_000;
  const debounceMs = options.debounceMs ?? 20;
  const { slots } = options;
  const timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  const orphanSeen = new Map<string, number>();
  let resyncTimer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  let closed = false;
  const underWay = new Set<Promise<void>>();

  async function needsWork(service: string): Promise<boolean> {
    const stored = registry.find(service);
    if (!stored) return false;
    // Canaries are the rollout's, not the count's.
    const containers = (await view.containersOf(service)).filter((c) => !isCanary(c, service, c.slot));
    // Any container that does not count toward the target is replaced or removed by a pass.
    if (!containers.every((c) => countsTowardTarget(c, stored.definition.replaceUnhealthy))) return true;
    return containers.length !== stored.replicas;
  }

  /** Per service, the pass under way (it may be waiting for the service's lock behind a Scale). */
  const passes = new Map<string, Promise<void>>();
  /** Per service, the one pass that follows the one under way. */
  const followUps = new Map<string, Promise<void>>();

  /**
   * One pass for a service, unless one is under way: then one more after it, however many
   * changes come meanwhile (a Scale of 200 brings hundreds while it holds the lock), so that
   * passes never queue up behind the lock each to list the engine again.
   */
  function run(service: string): Promise<void> {
    if (closed) return Promise.resolve();
    const current = passes.get(service);
    if (!current) return startPass(service);
    let next = followUps.get(service);
    if (!next) {
      next = current.then(() => {
        followUps.delete(service);
        return passes.get(service) ?? startPass(service);
      });
      followUps.set(service, next);
    }
    return next;
  }

  function startPass(service: string): Promise<void> {
    if (closed) return Promise.resolve();
    const pass = reconcileOnce(service).finally(() => {
      underWay.delete(pass);
      if (passes.get(service) === pass) passes.delete(service);
    });
    underWay.add(pass);
    passes.set(service, pass);
    return pass;
  }

  async function reconcileOnce(service: string): Promise<void> {
    try {
      if (!(await needsWork(service))) return;
      const wait = await scaler.reconcile(service, () => needsWork(service));
      if (wait > 0) schedule(service, wait);
    } catch (err) {
      const level = isDockhandError(err, "Unavailable") ? "debug" : "warn";
      logger[level]({ err, service }, "reconcile failed; the next change or resync tries again");
    }
  }

  function schedule(service: string, delayMs = debounceMs): void {
    if (closed) return;
    const at = Date.now() + delayMs;
    const pending = timers.get(service);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      timers.delete(service);
      void run(service);
    }, delayMs);
    timer.unref();
    timers.set(service, { at, timer });
  }

  async function orphans(): Promise<OrphanView[]> {
    const found: OrphanView[] = [];
    const now = Date.now();
    const current = new Set<string>();
    for (const service of await view.services()) {
      if (registry.find(service)) continue;
      for (const container of await view.containersOf(service)) {
        current.add(container.id);
        const firstSeen = orphanSeen.get(container.id) ?? now;
        orphanSeen.set(container.id, firstSeen);
        found.push({ container, firstSeen: new Date(firstSeen), removeAt: new Date(firstSeen + orphanGraceMs) });
      }
    }
    for (const id of orphanSeen.keys()) if (!current.has(id)) orphanSeen.delete(id);
    return found;
  }

  async function sweepOrphans(): Promise<void> {
    const due = (await orphans()).filter((o) => o.removeAt.getTime() <= Date.now());
    const failure = await runBounded(due, 4, (orphan) =>
      scaler.exclusive(orphan.container.service, async () => {
        if (registry.find(orphan.container.service)) return;
        logger.info(
          { containerId: orphan.container.id, container: orphan.container.name },
          "removing an orphan container: no definition owns it",
        );
        await slots.removeContainer(orphan.container, 10);
        await view.refresh(orphan.container.id);
      }),
    );
    if (failure) throw failure;
  }

  async function resync(): Promise<void> {
    const services = (async () => {
      for (const stored of registry.list()) await run(stored.definition.name);
    })();
    // Orphans are swept beside the services' passes, never queued behind a service whose pass
    // waits for its lock (a long Scale, a rollout).
    const [sweep] = await Promise.allSettled([sweepOrphans(), services]);
    if (sweep.status === "rejected") throw sweep.reason;
  }

  /** A timer's resync, unless the last one is still under way (they would only queue up). */
  let periodic: Promise<void> | undefined;
  function resyncOnTimer(): void {
    if (periodic) return;
    periodic = resync()
      .catch((err: unknown) => logger.debug({ err }, "periodic resync failed"))
      .finally(() => (periodic = undefined));
  }

  return {
    start() {
      unsubscribe = view.onChange((service) => schedule(service));
      for (const stored of registry.list()) schedule(stored.definition.name, 0);
      resyncTimer = setInterval(resyncOnTimer, resyncIntervalMs);
      resyncTimer.unref();
    },
    async close() {
      closed = true;
      unsubscribe?.();
      if (resyncTimer) clearInterval(resyncTimer);
      for (const { timer } of timers.values()) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...underWay, ...followUps.values(), periodic]);
    },
    orphans,
    resync,
  };
}
