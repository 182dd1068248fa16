import type { Logger } from "pino";
import type { Engine } from "../../engine/engine.js";
import type { ContainerSummary } from "../../engine/types.js";
import { DockhandError, isDockhandError } from "../../model/dockhand-error.js";
import { hasFixedHostPort } from "../../model/definition-rules.js";
import type { StoredService } from "../../model/service-definition.js";
import type { ServiceRegistry } from "../../registry/service-registry.js";
import { runBounded } from "../../lib/bounded.js";
import type { ContainerView } from "./container-view.js";
import type { ClaimOutcome } from "../../engine/store/container-store.js";
import { createKeyedLock, type KeyedLock } from "../../lib/keyed-lock.js";
import { ownershipOf, slotContainerName } from "../../model/ownership-labels.js";
import { isCanary } from "../../model/canary-names.js";
import { inCanaryPhase } from "../../model/service-definition.js";
import { createRestartBackoff, type RestartBackoff } from "./restart-backoff.js";
import { listServiceContainers } from "./service-containers.js";
import { createLocalStatus } from "./local-status.js";
import { createFailureRecorder } from "./failure-records.js";
import { createServiceRemoval } from "./service-removal.js";
import type { ServiceStatusView } from "../service-status.js";
import { conditionTypeOf, createConditionRecord } from "../conditions.js";
import type { UnusedVolume } from "../orchestrator.js";
import type { SlotOperations } from "./slot-operations.js";
import { purgeVolumes, unusedVolumes } from "./service-volumes.js";
import { engineFault, engineWentAway, mayBeEngineShutdown } from "./engine-stopping.js";
import { countsTowardTarget } from "./readiness.js";

export interface ScalerOptions {
  engine: Engine;
  /** This dockhand's identity, carried by its containers' labels. */
  instance: string;
  registry: ServiceRegistry;
  /** The live view that status answers from. */
  view: ContainerView;
  logger: Logger;
  /** Restart delays per slot. Default: 1 s doubling to 30 s, reset after 10 s of running. */
  backoff?: RestartBackoff;
  /** The last line a container wrote, for crash reports; optional. */
  lastLogLine?: (id: string) => Promise<string>;
  /** Most containers created, started, stopped or removed at once per service. Default 8. */
  concurrency?: number;
  /** The container operations (fill a slot, remove a container, pull), shared with the updater and the reconciler. */
  slots: SlotOperations;
  /** The per-service lock, shared with the service controller. Default: one of its own. */
  lock?: KeyedLock;
}

/**
 * The local backend's work on one service's containers: bring them to the stored count
 * (converge), read what runs (status), heal, remove and purge. The decisions above it (the
 * replica check, last-Scale-wins, the delete rule) are the service controller's.
 */
export interface Scaler {
  /** Refuses a count the definition cannot run on one engine (a fixed host port binds once). */
  checkRunnable(stored: StoredService, replicas: number): void;
  /**
   * One pass bringing the service to its stored count; `current` turns false once a later Scale
   * superseded this one. Fails with the progress reached, or with FailedPrecondition when
   * fewer than the count run afterwards (a container exited at once).
   */
  converge(stored: StoredService, current: () => boolean): Promise<void>;
  status(name: string): Promise<ServiceStatusView>;
  /**
   * Tells `listener` when a service's status changed for a reason the live view does not see
   * (its slots' failures and crash-looping), so that caches of statuses can drop it.
   */
  onStatusChange(listener: (service: string) => void): () => void;
  /** How many containers of the service run now, from a fresh engine list. */
  runningCount(name: string): Promise<number>;
  /** Removes every container of a service being deleted, and forgets its restart delays; returns how many went. */
  remove(stored: StoredService): Promise<number>;
  /**
   * Brings a service back to its desired count after something outside a Scale call changed
   * it (a container died, was removed, turned unhealthy). Honours each slot's restart delay and
   * resolves with how long until a delayed slot may be filled (0: nothing waits).
   */
  reconcile(name: string, stillNeeded?: () => Promise<boolean>): Promise<number>;
  /** Removes the volumes this dockhand created for a service (one in use stays); returns their names. */
  purgeVolumes(name: string): Promise<string[]>;
  /** Volumes this dockhand created whose service is gone or no longer mounts them. */
  unusedVolumes(): Promise<UnusedVolume[]>;
  /** Runs `task` while no Scale, reconcile or delete of the service runs. */
  exclusive<T>(name: string, task: () => Promise<T>): Promise<T>;
}

/** How long a Scale waits before its one retry of a pass the engine's own trouble failed. */
const retryAfterMs = 1000;
const engineGone = "the Docker engine failed or stopped answering meanwhile: scale again once it is back";

export function createScaler(options: ScalerOptions): Scaler {
  const { engine, registry, view, logger, instance } = options;
  const concurrency = options.concurrency ?? 8;
  const backoff = options.backoff ?? createRestartBackoff();
  const { slots } = options;
  const lock = options.lock ?? createKeyedLock();
  /** What the service's passes ran into (a pull, a create, a start), until one goes through. */
  const conditions = createConditionRecord();

  const local = createLocalStatus({ view, registry, backoff, conditions });
  const status = local.status;
  const recordFailures = createFailureRecorder({ backoff, logger, lastLogLine: options.lastLogLine });
  const removeService = createServiceRemoval({
    engine,
    instance,
    registry,
    view,
    slots,
    backoff,
    conditions,
    logger,
    concurrency,
  });

  /**
   * Removes a container and drops it from the view at once, for read-your-writes. Claimed
   * meanwhile: its kill, die and stop events cost no reads (two engine calls in all).
   */
  async function remove(container: ContainerSummary, graceSeconds: number): Promise<void> {
    const release = view.claim(container.name);
    try {
      await slots.removeContainer(container, graceSeconds);
      view.removed(container.id);
    } finally {
      await release();
    }
  }

  /**
   * Fills a slot and reads the new container into the view at once, for read-your-writes.
   * Claimed meanwhile: that one read covers its create and start events (three engine calls).
   */
  async function fill(stored: StoredService, slot: number): Promise<void> {
    const release = view.claim(slotContainerName(stored.definition.name, slot));
    let outcome: ClaimOutcome | undefined;
    try {
      const id = await slots.fillSlot(stored, slot);
      // Begun after the create and the start returned, this read shows what both did. Should it
      // fail, the claim's end reads what was held back instead.
      if (
        await view.refresh(id).then(
          () => true,
          () => false,
        )
      )
        outcome = { id, covers: ["create", "start"] };
    } finally {
      await release(outcome);
    }
  }

  /** A pass (`convergeOnce`); what it runs into shows in status as a condition until a pass goes through. */
  async function converge(
    stored: StoredService,
    target: number,
    mode: { current: () => boolean; heal: boolean },
  ): Promise<number> {
    const name = stored.definition.name;
    try {
      const wait = await convergeOnce(stored, target, mode);
      conditions.clear(name);
      return wait;
    } catch (err) {
      const type = conditionTypeOf(err);
      if (type) conditions.report(name, type, err instanceof Error ? err.message : String(err));
      throw err;
    }
  }

  /**
   * One pass towards `target` running containers: replaces what stopped or turned unhealthy,
   * then adds or removes. In `heal` mode a slot in its restart delay is left empty; the
   * result is then the time until it may be filled.
   */
  async function convergeOnce(
    stored: StoredService,
    target: number,
    mode: { current: () => boolean; heal: boolean },
  ): Promise<number> {
    const name = stored.definition.name;
    const grace = stored.definition.stopGraceSeconds;
    const listed = await listServiceContainers(engine, instance, name);
    // Canaries are the rollout's: they count for nothing here, but go with a slot scaled away.
    const isCanaryOf = (c: ContainerSummary) => isCanary(c, name, ownershipOf(c.labels)?.slot ?? 0);
    const containers = listed.filter((c) => !isCanaryOf(c));
    const strayCanaries = listed.filter((c) => isCanaryOf(c) && (ownershipOf(c.labels)?.slot ?? 0) > target);
    // Read after the list, which has waited for the events the engine logged before it: the view
    // then knows at least what the list shows (why a listed container stopped, its health).
    const known = new Map((await view.containersOf(name).catch(() => [])).map((c) => [c.id, c]));
    const running = containers.filter((c) =>
      countsTowardTarget({ state: c.state, health: known.get(c.id)?.health }, stored.definition.replaceUnhealthy),
    );
    const idle = containers.filter((c) => !running.includes(c));
    await recordFailures(name, idle, known);
    for (const c of running) {
      const startedAt = known.get(c.id)?.startedAt;
      if (startedAt && Date.now() - startedAt.getTime() > 10_000)
        backoff.markStable(name, ownershipOf(c.labels)?.slot ?? 0);
    }
    let wait = 0;
    let failure = await runBounded([...idle, ...strayCanaries], concurrency, (c) => remove(c, grace));
    if (!failure && running.length > target) {
      const newestFirst = [...running].sort(
        (a, b) =>
          b.createdAt.getTime() - a.createdAt.getTime() ||
          (ownershipOf(b.labels)?.slot ?? 0) - (ownershipOf(a.labels)?.slot ?? 0),
      );
      failure = await runBounded(
        newestFirst.slice(0, running.length - target),
        concurrency,
        (c) => remove(c, grace),
        mode.current,
      );
    } else if (!failure && running.length < target) {
      const used = new Set(running.map((c) => ownershipOf(c.labels)?.slot));
      let free: number[] = [];
      for (let slot = 1; free.length < target - running.length; slot++) if (!used.has(slot)) free.push(slot);
      if (mode.heal) {
        const delays = free.map((slot) => backoff.waitFor(name, slot)).filter((ms) => ms > 0);
        wait = delays.length ? Math.min(...delays) : 0;
        free = free.filter((slot) => backoff.waitFor(name, slot) === 0);
      }
      // No look for the image first: a create the engine answers NotFound pulls it (slot-operations.ts).
      // While canaries are watched, the old version keeps the slots (a Scale scales the old count).
      const filling = inCanaryPhase(stored.rollout) && stored.previous ? { ...stored, ...stored.previous } : stored;
      if (free.length > 0) failure = await runBounded(free, concurrency, (slot) => fill(filling, slot), mode.current);
    }
    if (failure) throw failure;
    return wait;
  }

  /** A Scale's pass: converge, then check that the count holds (a container may exit at once). */
  async function convergeForScale(stored: StoredService, current: () => boolean): Promise<void> {
    const name = stored.definition.name;
    try {
      await converge(stored, stored.replicas, { current, heal: false }).catch(async (err: unknown) => {
        // What an engine stopping or just restarted causes (its 500s, containers it stopped) is
        // tried once more after a moment, as a client would be told to.
        if (!mayBeEngineShutdown(err) || !current()) throw err;
        await new Promise((resolve) => setTimeout(resolve, retryAfterMs));
        await converge(stored, stored.replicas, { current, heal: false });
      });
    } catch (err) {
      const reached = await status(name, stored).catch(() => undefined);
      const wrapped = isDockhandError(err) ? err : new DockhandError("Internal", String(err), { cause: err });
      // A failure of the engine's own (its 500s, on a retry too) is one to retry later: never
      // the client's, whose FAILED_PRECONDITION would say "do not retry". Decided at once: the
      // service's lock is held here.
      const kind = engineFault(wrapped) ? "Unavailable" : wrapped.kind;
      throw new DockhandError(
        kind,
        `scale of service "${name}" to ${stored.replicas} stopped with ${reached?.running ?? "an unknown number of"} running: ${wrapped.message}` +
          (kind !== wrapped.kind ? `; ${engineGone}` : ""),
        {
          cause: err,
          details: { ...wrapped.details, progress: { name, desired: stored.replicas, running: reached?.running ?? 0 } },
        },
      );
    }
    if (!current()) return;
    const result = await status(name, stored);
    const counted = result.containers.filter((c) => !isCanary(c, name, c.slot));
    const runningOrPaused = counted.filter((c) => c.state === "running" || c.state === "paused").length;
    if (runningOrPaused !== stored.replicas) {
      const exited = counted.find((c) => c.state === "exited" || c.state === "dead");
      // Containers the engine itself stopped as it shut down: retry once it is back.
      const kind =
        mayBeEngineShutdown(undefined, exited?.exitCode) && (await engineWentAway(engine))
          ? "Unavailable"
          : "FailedPrecondition";
      throw new DockhandError(
        kind,
        `service "${name}" has ${result.running} of ${stored.replicas} containers running` +
          (exited ? `: ${exited.name} exited with code ${exited.exitCode}` : "") +
          (kind === "Unavailable" ? `; ${engineGone}` : ""),
        { details: { progress: { name, desired: stored.replicas, running: result.running } } },
      );
    }
  }

  return {
    status: (name) => status(name),
    onStatusChange: local.onStatusChange,
    exclusive: (name, task) => lock.run(name, task),
    purgeVolumes: (name) => lock.run(name, () => purgeVolumes(engine, instance, name)),
    unusedVolumes: () => unusedVolumes(engine, instance, registry),
    checkRunnable(stored, replicas) {
      if (replicas > 1 && hasFixedHostPort(stored.definition)) {
        throw new DockhandError(
          "FailedPrecondition",
          `service "${stored.definition.name}" publishes a fixed host port, which only one container can bind; it cannot run ${replicas} replicas (use host_port 0)`,
          { details: { field: "replicas" } },
        );
      }
    },
    converge: convergeForScale,
    reconcile(name, stillNeeded) {
      return lock.run(name, async () => {
        const stored = registry.find(name);
        // Asked again once the lock is held: a Scale it waited behind may have done the work.
        if (!stored || (stillNeeded && !(await stillNeeded()))) return 0;
        return converge(stored, stored.replicas, { current: () => true, heal: true });
      });
    },
    async runningCount(name) {
      return (await listServiceContainers(engine, instance, name)).filter((c) => c.state === "running").length;
    },
    remove: removeService,
  };
}
