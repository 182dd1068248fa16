import type { Logger } from "pino";
import type { CoreEngine } from "../engine/engine.js";
import type { ContainerSummary } from "../engine/types.js";
import { DockhandError, invalidArgument, isDockhandError } from "../errors/dockhand-error.js";
import { hasFixedHostPort } from "../registry/definition-rules.js";
import type { StoredService } from "../registry/service-definition.js";
import type { ServiceRegistry } from "../registry/service-registry.js";
import { runBounded } from "./bounded.js";
import { containerSpecFor } from "./container-spec.js";
import { createImagePuller } from "./image-puller.js";
import { createKeyedLock } from "./keyed-lock.js";
import { ownershipOf, slotContainerName } from "./ownership.js";
import { listServiceContainers, readContainerStatuses, type ServiceStatusView } from "./service-status.js";

export interface ScalerOptions {
  engine: CoreEngine;
  registry: ServiceRegistry;
  logger: Logger;
  /** Most containers created, started, stopped or removed at once per service. Default 8. */
  concurrency?: number;
  /** Largest replica count a Scale may ask for. Default 100. */
  maxReplicas?: number;
}

export interface ScaleOptions {
  /** Return only when the count holds. Default true. */
  wait: boolean;
  /** Aborts the wait (not the work) when the caller gives up, e.g. at its deadline. */
  signal?: AbortSignal;
}

export interface Scaler {
  scale(name: string, replicas: number, options: ScaleOptions): Promise<ServiceStatusView>;
  status(name: string): Promise<ServiceStatusView>;
  /** Deletes a service; with `force`, scales it to 0 first. Returns how many containers went. */
  deleteService(name: string, force: boolean): Promise<number>;
}

function isRunning(container: ContainerSummary): boolean {
  return container.state === "running";
}

export function createScaler(options: ScalerOptions): Scaler {
  const { engine, registry, logger } = options;
  const concurrency = options.concurrency ?? 8;
  const maxReplicas = options.maxReplicas ?? 100;
  const lock = createKeyedLock();
  const images = createImagePuller({ engine, logger });
  /** The latest Scale request per service; an older one is superseded. */
  const latestRequest = new Map<string, number>();
  let requests = 0;

  async function status(name: string, stored = registry.get(name)): Promise<ServiceStatusView> {
    const containers = await listServiceContainers(engine, name);
    const views = await readContainerStatuses(engine, containers, concurrency);
    return {
      name,
      desired: stored.replicas,
      running: views.filter((c) => c.state === "running").length,
      version: stored.version,
      containers: views,
    };
  }

  async function removeContainer(container: ContainerSummary, graceSeconds: number): Promise<void> {
    const log = logger.child({ containerId: container.id, container: container.name });
    if (isRunning(container) || container.state === "paused" || container.state === "restarting") {
      try {
        await engine.stopContainer(container.id, graceSeconds);
      } catch (err) {
        if (!isDockhandError(err, "NotModified") && !isDockhandError(err, "NotFound")) throw err;
      }
    }
    try {
      await engine.removeContainer(container.id, { force: true, volumes: true });
      log.debug("removed container");
    } catch (err) {
      if (!isDockhandError(err, "NotFound")) throw err;
    }
  }

  async function ensureImage(stored: StoredService): Promise<void> {
    const { image, name } = stored.definition;
    try {
      await images.ensure(image);
    } catch (err) {
      if (!isDockhandError(err) || err.details.pullError === undefined) throw err;
      throw new DockhandError(err.kind, `service "${name}": ${err.message}`, { cause: err, details: err.details });
    }
  }

  async function createInSlot(stored: StoredService, slot: number): Promise<void> {
    const name = slotContainerName(stored.definition.name, slot);
    let id: string;
    try {
      id = await engine.createContainer(containerSpecFor(stored, slot));
    } catch (err) {
      if (isDockhandError(err, "AlreadyExists")) {
        throw new DockhandError(
          "FailedPrecondition",
          `container name "${name}" is taken by a container dockhand does not own; rename or remove it`,
          { cause: err },
        );
      }
      throw err;
    }
    try {
      await engine.startContainer(id);
    } catch (err) {
      // A container that cannot start is removed so that failed attempts never pile up.
      await engine.removeContainer(id, { force: true, volumes: true }).catch(() => undefined);
      // The engine answers 500 for what the definition or the host causes (a host port in
      // use, a command that does not exist): a failed precondition, not dockhand's fault.
      if (isDockhandError(err, "Internal") || isDockhandError(err, "InvalidArgument")) {
        throw new DockhandError("FailedPrecondition", `container "${name}" could not start: ${err.message}`, { cause: err });
      }
      throw err;
    }
    logger.debug({ containerId: id, container: name }, "started container");
  }

  /** One pass towards `target` running containers; stops early when superseded. */
  async function converge(stored: StoredService, target: number, current: () => boolean): Promise<void> {
    const name = stored.definition.name;
    const grace = stored.definition.stopGraceSeconds;
    const containers = await listServiceContainers(engine, name);
    const running = containers.filter(isRunning);
    const idle = containers.filter((c) => !isRunning(c));
    let failure = await runBounded(idle, concurrency, (c) => removeContainer(c, grace));
    if (failure) throw failure;

    if (running.length > target) {
      const newestFirst = [...running].sort(
        (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (ownershipOf(b.labels)?.slot ?? 0) - (ownershipOf(a.labels)?.slot ?? 0),
      );
      failure = await runBounded(newestFirst.slice(0, running.length - target), concurrency, (c) => removeContainer(c, grace), current);
    } else if (running.length < target) {
      await ensureImage(stored);
      const used = new Set(running.map((c) => ownershipOf(c.labels)?.slot));
      const slots: number[] = [];
      for (let slot = 1; slots.length < target - running.length; slot++) if (!used.has(slot)) slots.push(slot);
      failure = await runBounded(slots, concurrency, (slot) => createInSlot(stored, slot), current);
    }
    if (failure) throw failure;
  }

  async function scaleLocked(name: string, request: number): Promise<ServiceStatusView> {
    const current = () => latestRequest.get(name) === request;
    const superseded = () =>
      new DockhandError("Aborted", `scale of service "${name}" was superseded by a later Scale call`);
    if (!current()) throw superseded();
    const stored = registry.get(name);
    try {
      await converge(stored, stored.replicas, current);
    } catch (err) {
      const reached = await status(name, stored).catch(() => undefined);
      const wrapped = isDockhandError(err) ? err : new DockhandError("Internal", String(err), { cause: err });
      throw new DockhandError(
        wrapped.kind,
        `scale of service "${name}" to ${stored.replicas} stopped with ${reached?.running ?? "an unknown number of"} running: ${wrapped.message}`,
        { cause: err, details: { ...wrapped.details, progress: { name, desired: stored.replicas, running: reached?.running ?? 0 } } },
      );
    }
    if (!current()) throw superseded();
    const result = await status(name, stored);
    if (result.running !== stored.replicas) {
      const exited = result.containers.find((c) => c.state === "exited" || c.state === "dead");
      throw new DockhandError(
        "FailedPrecondition",
        `service "${name}" has ${result.running} of ${stored.replicas} containers running` +
          (exited ? `: ${exited.name} exited with code ${exited.exitCode}` : ""),
        { details: { progress: { name, desired: stored.replicas, running: result.running } } },
      );
    }
    return result;
  }

  function untilAborted(signal: AbortSignal | undefined): Promise<never> | undefined {
    if (!signal) return undefined;
    return new Promise<never>((_, reject) => {
      const fail = () =>
        reject(new DockhandError("Timeout", "the call's deadline passed before the scale finished; it goes on in the background"));
      if (signal.aborted) fail();
      else signal.addEventListener("abort", fail, { once: true });
    });
  }

  return {
    status: (name) => status(name),
    async scale(name, replicas, scaleOptions) {
      if (!Number.isInteger(replicas) || replicas < 0 || replicas > maxReplicas) {
        throw invalidArgument("replicas", `must be between 0 and ${maxReplicas} (got ${replicas})`);
      }
      const stored = registry.get(name);
      if (replicas > 1 && hasFixedHostPort(stored.definition)) {
        throw new DockhandError(
          "FailedPrecondition",
          `service "${name}" publishes a fixed host port, which only one container can bind; it cannot run ${replicas} replicas (use host_port 0)`,
          { details: { field: "replicas" } },
        );
      }
      const request = ++requests;
      latestRequest.set(name, request);
      await registry.setReplicas(name, replicas);
      const work = lock.run(name, () => scaleLocked(name, request));
      if (!scaleOptions.wait) {
        work.catch((err: unknown) => logger.warn({ err, service: name }, "background scale failed"));
        return status(name);
      }
      const aborted = untilAborted(scaleOptions.signal);
      if (aborted) work.catch(() => undefined);
      return aborted ? Promise.race([work, aborted]) : work;
    },
    deleteService(name, force) {
      return lock.run(name, async () => {
        const stored = registry.get(name);
        const containers = await listServiceContainers(engine, name);
        const running = containers.filter(isRunning).length;
        if (running > 0 && !force) {
          throw new DockhandError(
            "FailedPrecondition",
            `service "${name}" has ${running} running container(s); scale it to 0 first, or delete with force`,
          );
        }
        latestRequest.set(name, ++requests);
        if (stored.replicas !== 0) await registry.setReplicas(name, 0);
        const failure = await runBounded(containers, concurrency, (c) =>
          removeContainer(c, stored.definition.stopGraceSeconds),
        );
        if (failure) throw failure;
        await registry.remove(name);
        return containers.length;
      });
    },
  };
}
