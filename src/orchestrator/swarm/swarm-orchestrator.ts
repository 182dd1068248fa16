import type { Logger } from "pino";
import type { KeyedLock } from "../../lib/keyed-lock.js";
import { sleep } from "../../lib/sleep.js";
import { DockhandError, isDockhandError } from "../../model/dockhand-error.js";
import type { ServiceRegistry } from "../../registry/service-registry.js";
import type { Orchestrator, OrphanView, ServiceLogLine } from "../orchestrator.js";
import type { ServiceBackend } from "../service-backend.js";
import { underServiceController } from "../service-controller.js";
import type { ServiceLogLine as SwarmLogLine, SwarmEngine } from "../../engine/swarm.js";
import { createSwarmServiceWriter } from "./swarm-service-writer.js";
import { createSwarmResources } from "./swarm-resources.js";
import { nodeVolumesOutOfReach } from "./swarm-service-spec.js";
import type { SecretStore } from "../../registry/secret-store.js";
import { createDriftRecord } from "./drift-record.js";
import { buildStatus, currentTasks, hasHealthCheck, runningTasks } from "./swarm-status.js";
import { createSwarmTaskView } from "./swarm-task-view.js";
import { waitForCount } from "./swarm-scale-wait.js";
import { serviceLabel } from "../../model/ownership-labels.js";

export interface SwarmOrchestratorOptions {
  /** The Swarm API of a manager node. */
  swarm: SwarmEngine;
  registry: ServiceRegistry;
  /** This dockhand's identity, carried by its Swarm services' labels. */
  instance: string;
  logger: Logger;
  /** Largest count a Scale may ask for. Default 100. */
  maxReplicas?: number;
  /** How often every service is compared with its definition and repaired, in ms. Default 2000. */
  resyncIntervalMs?: number;
  /** How long status shows a drift after it was found, in ms. Default 600000. */
  driftKeepMs?: number;
  /** How long a Swarm service with this dockhand's labels and no definition is kept, in ms. Default 60000. */
  orphanGraceMs?: number;
  /** How often all tasks are listed again, in ms. Default 1000. */
  pollIntervalMs?: number;
  /** Least time between two status reads of one watch. Default 100 ms. */
  watchCoalesceMs?: number;
  /** The registry's secret and config values, made into versioned Swarm secrets and configs. Unset: none can run. */
  secrets?: Pick<SecretStore, "value">;
}

/** The `swarm` backend under the service controller: what `--orchestrator swarm` runs. */
export function createSwarmOrchestrator(options: SwarmOrchestratorOptions): Orchestrator {
  return underServiceController(options, (lock) => createSwarmBackend({ ...options, lock }));
}

/**
 * The `swarm` backend's verbs. The parts:
 * - the task view (services, tasks, nodes of the manager, kept by events, resyncs and polling);
 * - the writer (a definition and count into a Swarm service, at its version);
 * - the drift record (what changed outside dockhand, and when it was put back, for status);
 * - here: converge (a write) with its wait, removal, drift repair and orphans on a timer,
 *   rollout records.
 * Swarm itself keeps the count, places tasks and rolls updates.
 */
export function createSwarmBackend(options: SwarmOrchestratorOptions & { lock: KeyedLock }): ServiceBackend {
  const { swarm, registry, instance, logger, lock } = options;
  const orphanGraceMs = options.orphanGraceMs ?? 60_000;
  const view = createSwarmTaskView({ swarm, instance, logger, pollIntervalMs: options.pollIntervalMs });
  const drifts = createDriftRecord({ onChange: (service) => changed(service), keepMs: options.driftKeepMs });
  const resources = createSwarmResources({ swarm, secrets: options.secrets, instance, logger });
  const writer = createSwarmServiceWriter({ swarm, view, instance, logger, drifts, resources });
  const orphansSeen = new Map<string, Date>();
  const stop = new AbortController();

  const listeners = new Set<(service: string) => void>();
  const changed = (service: string) => {
    for (const listener of listeners) listener(service);
  };
  const unsubscribe = [
    view.onChange((name) => {
      if (view.service(name)) drifts.saw(name);
    }),
    view.onChange(changed),
    view.onChange((name) => void recordRolloutEnd(name)),
  ];

  /** Start-up says plainly when the engine URL names no swarm manager. */
  async function checkManager(): Promise<void> {
    const membership = await swarm.membership();
    if (!membership.manager) {
      throw new DockhandError(
        "FailedPrecondition",
        membership.state === "active"
          ? "--orchestrator swarm: the Docker engine is a swarm worker, not a manager; point the engine URL at a manager node"
          : `--orchestrator swarm: the Docker engine is not part of a swarm (state ${membership.state}); run \`docker swarm init\` or point the engine URL at a swarm manager`,
        { details: { field: "orchestrator" } },
      );
    }
  }

  async function statusNow(name: string) {
    const stored = registry.get(name);
    if (!view.isTrusted()) await view.refresh(name);
    const status = buildStatus(stored, view.service(name), view.tasks(name), view.nodes(), resources);
    const drift = drifts.latest(name, stored.version);
    return drift ? { ...status, drift } : status;
  }

  /** Swarm said the rollout ended: the registry keeps that, so it survives the Swarm service. */
  async function recordRolloutEnd(name: string): Promise<void> {
    const stored = registry.find(name);
    if (!stored?.rollout || stored.rollout.endedAt) return;
    const rollout = buildStatus(stored, view.service(name), view.tasks(name), view.nodes()).rollout;
    if (rollout?.endedAt) await registry.setRollout(name, rollout).catch(() => undefined);
  }

  async function repair(): Promise<void> {
    for (const stored of registry.list()) {
      const name = stored.definition.name;
      // Read again under the lock: a Scale, rollout or delete may have run while this pass waited.
      const write = async () => {
        const latest = registry.find(name);
        if (latest) await writer.write(latest, "drift");
      };
      await lock.run(name, write).catch((err: unknown) => {
        if (!isDockhandError(err, "FailedPrecondition"))
          logger.warn({ err, service: name }, "swarm drift repair failed");
      });
    }
    await resources
      .sweep(registry.list(), view.services())
      .then(
        (removed) => removed.length && logger.info({ removed }, "removed swarm secrets and configs no service uses"),
      )
      .catch((err: unknown) => logger.warn({ err }, "sweeping unused swarm secrets and configs failed"));
    const now = Date.now();
    const orphans = view.services().filter((s) => !registry.find(s.spec.labels[serviceLabel] ?? s.spec.name));
    for (const service of orphans) {
      const seen = orphansSeen.get(service.spec.name) ?? new Date(now);
      orphansSeen.set(service.spec.name, seen);
      if (now - seen.getTime() < orphanGraceMs) continue;
      logger.warn(
        { service: service.spec.name },
        "removing an orphaned swarm service: this dockhand has no definition of it",
      );
      await swarm.services.remove(service.id).catch(() => undefined);
      orphansSeen.delete(service.spec.name);
    }
    for (const name of orphansSeen.keys()) if (!orphans.some((s) => s.spec.name === name)) orphansSeen.delete(name);
  }

  async function repairLoop(): Promise<void> {
    while (!stop.signal.aborted) {
      await sleep(options.resyncIntervalMs ?? 2000, stop.signal).catch(() => undefined);
      if (stop.signal.aborted || !view.isTrusted()) continue;
      await repair().catch((err: unknown) => logger.warn({ err }, "swarm repair pass failed"));
    }
  }

  return {
    kind: "swarm",
    async start() {
      await checkManager();
      await view.start();
      void repairLoop();
    },
    async close() {
      stop.abort();
      for (const off of unsubscribe) off();
      view.close();
      drifts.close();
    },
    // What Swarm cannot take is refused when the definition is written, naming the field.
    checkRunnable: () => undefined,
    async converge(stored) {
      await writer.write(stored, "scale");
    },
    async awaitScaled(name, desired, scaleOptions, superseded) {
      await waitForCount({
        view,
        name,
        desired,
        status: () => statusNow(name),
        signal: scaleOptions.signal,
        superseded,
        countHealthStarting: scaleOptions.waitFor !== "ready" && hasHealthCheck(registry.get(name)),
      });
    },
    observe: (name) => statusNow(name),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    isTrusted: () => view.isTrusted(),
    async runningCount(name) {
      await view.refresh(name);
      return runningTasks(view.tasks(name), view.nodes()).length;
    },
    async remove(stored) {
      const name = stored.definition.name;
      await view.refresh(name);
      const count = currentTasks(view.tasks(name)).length;
      const service = view.service(name);
      if (service) {
        await swarm.services.remove(service.id).catch((err: unknown) => {
          if (!isDockhandError(err, "NotFound")) throw err;
        });
      }
      drifts.forget(name);
      await view.refresh(name).catch(() => undefined);
      return count;
    },
    rollOut(name) {
      const stored = registry.find(name);
      if (!stored) return;
      const reason = stored.rollout?.state === "rolling_back" ? "rollback" : "rollout";
      lock
        .run(name, () => writer.write(registry.get(name), reason))
        .catch(async (err: unknown) => {
          logger.warn({ err, service: name }, "swarm rollout failed to start");
          const current = registry.find(name);
          if (current?.rollout && !current.rollout.endedAt) {
            await registry
              .setRollout(name, {
                ...current.rollout,
                state: "paused",
                message: err instanceof Error ? err.message : String(err),
              })
              .catch(() => undefined);
          }
        });
    },
    async resync() {
      await view.resync();
      await repair();
    },
    async *logs(name, logOptions) {
      registry.get(name);
      await view.refresh(name);
      const service = view.service(name);
      if (!service) return;
      const lines = swarm.serviceLogs(service.id, {
        follow: logOptions.follow,
        tail: logOptions.tail,
        signal: logOptions.signal,
      });
      const known = new Set<string>();
      const mark = async (line: SwarmLogLine): Promise<ServiceLogLine> => {
        let task = view.tasks(name).find((t) => t.id === line.taskId);
        // A task that started after the last read: read the service's tasks again, once per task.
        if (!task && !known.has(line.taskId)) {
          known.add(line.taskId);
          await view.refresh(name).catch(() => undefined);
          task = view.tasks(name).find((t) => t.id === line.taskId);
        }
        return {
          slot: task?.slot ?? 0,
          containerId: task?.containerId ?? "",
          node: { id: line.nodeId, name: view.nodes().get(line.nodeId)?.hostname ?? "" },
          stream: line.stream,
          line: line.line,
          at: line.at,
        };
      };
      if (logOptions.follow) {
        for await (const line of lines) yield await mark(line);
        return;
      }
      const all: ServiceLogLine[] = [];
      for await (const line of lines) all.push(await mark(line));
      yield* all.sort((a, b) => a.at.getTime() - b.at.getTime());
    },
    purgeVolumes: async () => {
      throw nodeVolumesOutOfReach("purge_volumes");
    },
    unusedVolumes: async () => {
      throw nodeVolumesOutOfReach("ListUnusedVolumes");
    },
    async orphans() {
      const result: OrphanView[] = [];
      for (const service of view.services()) {
        const name = service.spec.labels[serviceLabel] ?? service.spec.name;
        if (registry.find(name)) continue;
        const firstSeen = orphansSeen.get(service.spec.name) ?? new Date();
        const removeAt = new Date(firstSeen.getTime() + orphanGraceMs);
        const stored = { definition: { name }, replicas: 0, version: 0 } as Parameters<typeof buildStatus>[0];
        for (const container of buildStatus(stored, service, view.tasks(name), view.nodes()).containers) {
          result.push({ service: name, container, firstSeen, removeAt });
        }
      }
      return result;
    },
  };
}
