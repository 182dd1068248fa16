import type { Logger } from "pino";
import type { Engine } from "../../engine/engine.js";
import type { ContainerSummary } from "../../engine/types.js";
import { isDockhandError } from "../../model/dockhand-error.js";
import type { Rollout, StoredService, UpdatePolicy } from "../../model/service-definition.js";
import type { ServiceRegistry } from "../../registry/service-registry.js";
import { runBounded } from "../../lib/bounded.js";
import { sleep } from "../../lib/sleep.js";
import type { ContainerView } from "./container-view.js";
import { ownershipOf, slotContainerName } from "../../model/ownership-labels.js";
import type { Scaler } from "./service-scaler.js";
import type { SlotOperations } from "./slot-operations.js";
import { listServiceContainers } from "./service-containers.js";
import { isReady } from "./readiness.js";
import { canaryName, isCanary } from "../../model/canary-names.js";

export interface RollingUpdaterOptions {
  instance: string;
  scaler: Pick<Scaler, "exclusive" | "status">;
  /** The container operations shared with the scaler. */
  slots: SlotOperations;
  registry: ServiceRegistry;
  view: ContainerView;
  engine: Engine;
  logger: Logger;
}

/**
 * Moves the running containers of a service to its current definition batch by batch, in the
 * manner of Swarm's rolling update: parallelism, delay, stop-first or start-first, a monitor
 * window, and pause or rollback on failure. Progress is stored with the service, so an update
 * interrupted by a crash of dockhand resumes when it starts again.
 */
export interface RollingUpdater {
  /** Carries the service's rollout on in the background; resolves when it stops. */
  run(name: string): Promise<void>;
  /** Resumes every rollout left updating or rolling back (at start-up). */
  resumeAll(): void;
  close(): void;
}

const active = new Set(["updating", "rolling_back"]);
/** States in which the updater has work: replacing, or placing and watching canaries. */
const underWay = new Set([...active, "canary"]);

/** A container started in place of an old one. */
interface Replacement {
  id: string;
  slot: number;
}
/** Tries of one batch before an engine refusal fails the update. */
const maxAttempts = 3;

/** How often a batch's containers are inspected while it is watched. */
const pollMs = 250;

export function createRollingUpdater(options: RollingUpdaterOptions): RollingUpdater {
  const { scaler, registry, view, engine, logger, instance } = options;
  const { slots } = options;
  const runs = new Map<string, Promise<void>>();
  let closed = false;

  /** The running containers not on the stored version (nor on the one it restores), canaries aside. */
  function outdated(stored: StoredService, containers: ContainerSummary[]): ContainerSummary[] {
    return containers
      .filter((c) => {
        const owner = ownershipOf(c.labels);
        if (c.state !== "running" || (owner && isCanary(c, stored.definition.name, owner.slot))) return false;
        return owner?.definitionVersion !== stored.version && owner?.definitionVersion !== stored.rollout?.restores;
      })
      .sort((a, b) => (ownershipOf(a.labels)?.slot ?? 0) - (ownershipOf(b.labels)?.slot ?? 0));
  }

  /** The canaries among a service's containers, by slot. */
  function canariesOf(name: string, containers: ContainerSummary[]): Map<number, ContainerSummary> {
    const found = new Map<number, ContainerSummary>();
    for (const c of containers) {
      const slot = ownershipOf(c.labels)?.slot;
      if (slot !== undefined && isCanary(c, name, slot)) found.set(slot, c);
    }
    return found;
  }

  async function removeAll(stored: StoredService, containers: Iterable<ContainerSummary>): Promise<void> {
    const failure = await runBounded([...containers], 8, (c) =>
      slots.removeContainer(c, stored.definition.stopGraceSeconds),
    );
    if (failure) throw failure;
  }

  /**
   * Starts the canaries of a canary phase that do not run yet (slots 1 to the canary count,
   * beside the old containers) under the service's lock; undefined when the phase is over.
   */
  function placeCanaries(name: string): Promise<{ stored: StoredService; placed: Replacement[] } | undefined> {
    return scaler.exclusive(name, async () => {
      const stored = registry.find(name);
      if (stored?.rollout?.state !== "canary") return undefined;
      const canaries = canariesOf(name, await listServiceContainers(engine, instance, name));
      const placed: Replacement[] = [];
      try {
        for (let slot = 1; slot <= Math.min(stored.rollout.canary ?? 0, stored.replicas); slot++) {
          const existing = canaries.get(slot);
          if (existing?.state === "running" && ownershipOf(existing.labels)?.definitionVersion === stored.version) {
            placed.push({ id: existing.id, slot });
            continue;
          }
          if (existing) await slots.removeContainer(existing, stored.definition.stopGraceSeconds);
          placed.push({ id: await slots.fillSlot(stored, slot, canaryName(name, slot)), slot });
        }
      } finally {
        await view.resyncService(name).catch(() => undefined);
      }
      return { stored, placed };
    });
  }

  async function replace(
    stored: StoredService,
    old: ContainerSummary,
    order: UpdatePolicy["order"],
    canary: ContainerSummary | undefined,
  ): Promise<Replacement> {
    const slot = ownershipOf(old.labels)?.slot ?? 0;
    const grace = stored.definition.stopGraceSeconds;
    if (canary?.state === "running" && ownershipOf(canary.labels)?.definitionVersion === stored.version) {
      // A promoted canary takes its slot's place: the old container goes, the canary is renamed.
      await slots.removeContainer(old, grace);
      await engine.containers.rename(canary.id, slotContainerName(stored.definition.name, slot));
      return { id: canary.id, slot };
    }
    if (canary) await slots.removeContainer(canary, grace);
    if (order === "stop-first") {
      await slots.removeContainer(old, grace);
      return { id: await slots.fillSlot(stored, slot), slot };
    }
    const name = slotContainerName(stored.definition.name, slot);
    const id = await slots.fillSlot(stored, slot, `${name}-next`);
    await slots.removeContainer(old, grace);
    await engine.containers.rename(id, name);
    return { id, slot };
  }

  /** Replaces one batch under the service's lock; undefined when nothing is left to replace. */
  function replaceBatch(name: string): Promise<{ stored: StoredService; replaced: Replacement[] } | undefined> {
    return scaler.exclusive(name, async () => {
      const stored = registry.find(name);
      if (!stored?.rollout || !active.has(stored.rollout.state)) return undefined;
      const containers = await listServiceContainers(engine, instance, name);
      const canaries = canariesOf(name, containers);
      if (stored.rollout.state === "rolling_back" && canaries.size > 0) {
        // Back from canaries: they go; the old containers stay when their version is restored.
        await removeAll(stored, canaries.values());
        canaries.clear();
      }
      const batch = outdated(stored, containers).slice(0, stored.updatePolicy.parallelism);
      if (batch.length === 0) {
        // Canaries whose slot was scaled away or that stopped go with the end of the rollout.
        await removeAll(stored, canaries.values());
        if (canaries.size > 0) await view.resyncService(name).catch(() => undefined);
        return undefined;
      }
      await slots.ensureImage(stored);
      const replaced: Replacement[] = [];
      const failure = await runBounded(
        batch,
        batch.length,
        async (old) =>
          void replaced.push(
            await replace(stored, old, stored.updatePolicy.order, canaries.get(ownershipOf(old.labels)?.slot ?? 0)),
          ),
      );
      await view.resyncService(name).catch(() => undefined);
      if (failure) throw failure;
      return { stored, replaced };
    });
  }

  /**
   * Why one container of a batch fails it now, or whether it is ready (healthy, or running
   * with no check; running is enough when the service ignores health).
   */
  async function check(
    stored: StoredService,
    { id, slot }: Replacement,
    startedAt: number,
    phase: string,
  ): Promise<{ failed?: string; ready: boolean }> {
    const name = stored.definition.name;
    // The same reads as every other part: the view the engine's events keep current.
    const details = (await view.containersOf(name)).find((c) => c.id === id);
    if (!details) {
      // The reconciler already replaced it; it noted why the container stopped.
      const failure = (await scaler.status(name)).failures.find((f) => f.slot === slot && f.at.getTime() >= startedAt);
      const why = failure ? `${failure.reason} (exit code ${failure.exitCode})` : "it disappeared";
      return { failed: `container ${slotContainerName(name, slot)} failed ${phase}: ${why}`, ready: false };
    }
    // Unhealthy first: the reconciler may already be removing the container for it.
    if (stored.definition.replaceUnhealthy && details.health === "unhealthy")
      return { failed: `container ${details.name} turned unhealthy ${phase}`, ready: false };
    if (details.state !== "running")
      return {
        failed: `container ${details.name} ${details.state} (exit code ${details.exitCode}) ${phase}`,
        ready: false,
      };
    return { ready: !stored.definition.replaceUnhealthy || isReady(details) };
  }

  /**
   * Watches a new batch, as Nomad does: each container must be ready and stay so for the
   * minimum healthy time, all within the healthy deadline; then the monitor window follows.
   * Returns why the batch failed, if it did.
   */
  async function monitor(stored: StoredService, batch: Replacement[], startedAt: number): Promise<string | undefined> {
    // A rollback returns to a definition known to work: it waits for readiness, not for the
    // minimum healthy time, so that getting back is not held up by the gate that failed.
    const policy = { ...stored.updatePolicy, ...(stored.rollout?.state === "rolling_back" ? { minHealthyMs: 0 } : {}) };
    const deadline = startedAt + policy.healthyDeadlineMs;
    const readySince = new Map<string, number>();
    const gatePhase =
      policy.minHealthyMs > 0 ? "before it was healthy for min_healthy_time" : "within the monitor window";
    for (;;) {
      const now = Date.now();
      for (const replacement of batch) {
        const { failed, ready } = await check(stored, replacement, startedAt, gatePhase);
        if (failed) return failed;
        if (!ready) readySince.delete(replacement.id);
        else if (!readySince.has(replacement.id)) readySince.set(replacement.id, now);
      }
      const since = readySince.size === batch.length ? Math.max(...readySince.values()) : undefined;
      if (since !== undefined && now - since >= policy.minHealthyMs) break;
      if (now >= deadline) {
        const late = batch.find((r) => !readySince.has(r.id)) ?? batch[0]!;
        return `container ${slotContainerName(stored.definition.name, late.slot)} was not healthy for ${policy.minHealthyMs / 1000}s within the healthy_deadline of ${policy.healthyDeadlineMs / 1000}s`;
      }
      await sleep(
        Math.min(
          pollMs,
          Math.max(1, deadline - now),
          since !== undefined ? Math.max(1, since + policy.minHealthyMs - now) : pollMs,
        ),
      );
    }
    const monitorEnd = Date.now() + policy.monitorMs;
    for (;;) {
      for (const replacement of batch) {
        const { failed } = await check(stored, replacement, startedAt, "within the monitor window");
        if (failed) return failed;
      }
      const left = monitorEnd - Date.now();
      if (left <= 0) return undefined;
      await sleep(Math.min(pollMs, left));
    }
  }

  async function record(name: string, rollout: Rollout): Promise<void> {
    await registry.setRollout(name, rollout);
    logger.info({ service: name, ...rollout }, "rolling update");
  }

  async function failed(stored: StoredService, reason: string): Promise<boolean> {
    const rollout = stored.rollout!;
    if (stored.updatePolicy.failureAction === "rollback" && rollout.state === "updating") {
      const back = await registry.rollback(stored.definition.name);
      await record(stored.definition.name, { ...back.rollout!, message: `rolling back: ${reason}` });
      return true;
    }
    await record(stored.definition.name, {
      ...rollout,
      state: "paused",
      message: reason,
      endedAt: new Date().toISOString(),
    });
    return false;
  }

  /**
   * A canary phase: places the canaries and watches them with the health gate; then promotes
   * (`autoPromote`), waits for a person, pauses or reverts (`autoRevert`). True: go on looping.
   */
  async function canaryPhase(name: string): Promise<boolean> {
    const startedAt = Date.now();
    let canaries: { stored: StoredService; placed: Replacement[] } | undefined;
    try {
      canaries = await placeCanaries(name);
    } catch (err) {
      if (isDockhandError(err, "Unavailable")) throw err;
      const stored = registry.find(name);
      if (stored?.rollout?.state !== "canary") return true;
      return canaryFailed(stored, `a canary could not start: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (!canaries) return true;
    const reason = await monitor(canaries.stored, canaries.placed, startedAt);
    const now = registry.find(name);
    // Promoted, rolled back or changed meanwhile: the loop reads what to do now.
    if (now?.rollout?.state !== "canary" || now.version !== canaries.stored.version) return true;
    if (reason) return canaryFailed(now, reason);
    if (now.updatePolicy.autoPromote) {
      await record(name, {
        ...now.rollout,
        state: "updating",
        promoted: true,
        message: "promoted: every canary passed the health gate (auto_promote)",
      });
      return true;
    }
    await record(name, { ...now.rollout, message: "canaries ready: waiting for Scaler.Promote" });
    return false;
  }

  async function canaryFailed(stored: StoredService, reason: string): Promise<boolean> {
    const name = stored.definition.name;
    if (stored.updatePolicy.autoRevert) {
      const back = await registry.rollback(name);
      await record(name, { ...back.rollout!, message: `rolling back: canary failed: ${reason}` });
      return true;
    }
    // The canaries stay for a person to look at, then Promote or Rollback.
    await record(name, {
      ...stored.rollout!,
      state: "paused",
      message: `canary failed: ${reason}`,
      endedAt: new Date().toISOString(),
    });
    return false;
  }

  async function loop(name: string): Promise<void> {
    let attempts = 0;
    while (!closed) {
      if (registry.find(name)?.rollout?.state === "canary") {
        if (await canaryPhase(name)) continue;
        return;
      }
      let batch: { stored: StoredService; replaced: Replacement[] } | undefined;
      const startedAt = Date.now();
      try {
        batch = await replaceBatch(name);
        attempts = 0;
      } catch (err) {
        const stored = registry.find(name);
        if (!stored?.rollout || !underWay.has(stored.rollout.state)) return;
        if (stored.rollout.state === "canary") continue;
        if (isDockhandError(err, "Unavailable")) throw err;
        // The engine can refuse for a moment (say, a container a crashed dockhand was removing
        // still holds its name): try the batch again before calling the update failed.
        if (++attempts < maxAttempts) {
          logger.info({ err, service: name, attempt: attempts }, "rolling update batch failed; trying again");
          await sleep(attempts * 500);
          continue;
        }
        attempts = 0;
        if (await failed(stored, err instanceof Error ? err.message : String(err))) continue;
        return;
      }
      const stored = registry.find(name);
      if (!stored?.rollout || !underWay.has(stored.rollout.state)) return;
      if (stored.rollout.state === "canary") continue;
      if (!batch) {
        // A rollback keeps the reason it was started for.
        const state = stored.rollout.state === "updating" ? "completed" : "rolled_back";
        const message =
          state === "rolled_back" ? stored.rollout.message.replace(/^rolling back: /, "rolled back: ") : "";
        await record(name, { ...stored.rollout, state, message, endedAt: new Date().toISOString() });
        return;
      }
      const reason = await monitor(batch.stored, batch.replaced, startedAt);
      const now = registry.find(name);
      if (!now?.rollout || !underWay.has(now.rollout.state)) return;
      if (now.rollout.state === "canary") continue;
      if (reason) {
        if (await failed(now, reason)) continue;
        return;
      }
      if (now.updatePolicy.delayMs > 0) await sleep(now.updatePolicy.delayMs);
    }
  }

  function run(name: string): Promise<void> {
    let current = runs.get(name);
    if (!current) {
      current = loop(name)
        .catch((err: unknown) =>
          logger.warn({ err, service: name }, "rolling update stopped; it resumes on the next change or restart"),
        )
        .finally(() => runs.delete(name));
      runs.set(name, current);
    }
    return current;
  }

  return {
    run,
    resumeAll() {
      for (const stored of registry.list()) {
        if (stored.rollout && underWay.has(stored.rollout.state)) void run(stored.definition.name);
      }
    },
    close() {
      closed = true;
    },
  };
}
