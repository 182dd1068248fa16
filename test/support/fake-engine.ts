import { randomBytes } from "node:crypto";
import { DockhandError } from "../../src/model/dockhand-error.js";
import { matchesContainerQuery, matchesLabelFilters } from "../../src/engine/container-query.js";
import type { CoreEngine } from "../../src/engine/engine.js";
import { createFakeResourceControl } from "./fake-resource-control.js";
import type { EngineEvent, EngineEventItem, EngineEventLog, EngineEvents, WatchEventsOptions } from "../../src/engine/event-stream.js";
import type { ContainerDetails, ContainerSpec, ContainerSummary, ImageDetails } from "../../src/engine/types.js";
import { createWakeup } from "../../src/lib/wakeup.js";

export interface FakeEngine extends CoreEngine, EngineEvents, EngineEventLog {
  /** Makes an image present, as a pull or load would. */
  addImage(ref: string): void;
  /** Puts an image in the fake's "registry", so that pullImage can fetch it. */
  addRegistryImage(ref: string): void;
  /** Every reference pullImage was asked for, in call order, for assertions. */
  readonly pulls: readonly string[];
  /** Simulates the engine going away (every call fails Unavailable) and coming back. */
  setReachable(reachable: boolean): void;
  /** Makes a running container exit, as if its process died. */
  exitContainer(id: string, exitCode: number): void;
  /** Sets a running container's health, as its healthcheck would. */
  setHealth(id: string, health: ContainerDetails["health"]): void;
  /** Every container, for assertions. */
  readonly containers: ReadonlyMap<string, ContainerDetails>;
}

/**
 * An in-memory engine for fast unit tests of the layers above the engine. It follows the real
 * engine's error kinds (NotFound, AlreadyExists, NotModified, Conflict); every behaviour it
 * fakes is also proven against a real engine in test/integration.
 */
export function createFakeEngine(): FakeEngine {
  const containers = new Map<string, ContainerDetails>();
  const images = new Map<string, ImageDetails>();
  const registryImages = new Set<string>();
  const pulls: string[] = [];
  let reachable = true;
  let nextHostPort = 40000;

  function check(): void {
    if (!reachable) throw new DockhandError("Unavailable", "fake engine unreachable");
  }
  function find(id: string): ContainerDetails {
    const found = containers.get(id) ?? [...containers.values()].find((c) => c.name === id || c.id.startsWith(id));
    if (!found) throw new DockhandError("NotFound", `No such container: ${id}`);
    return found;
  }
  function summary(c: ContainerDetails): ContainerSummary {
    const { health: _h, startedAt: _s, finishedAt: _f, exitCode: _e, restartCount: _r, error: _x, command: _c, ...rest } = c;
    return { ...rest, labels: { ...c.labels }, ports: [...c.ports] };
  }
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
  const subscribers = new Set<(event: EngineEvent) => void>();
  /** Every event, oldest first: what the engine's event log holds. */
  const log: EngineEvent[] = [];
  let lastNano = 0n;

  function emit(c: ContainerDetails, action: string): void {
    const time = new Date();
    // The engine's clock has nanoseconds; this one, strictly increasing, stands in for it.
    const nano = BigInt(time.getTime()) * 1_000_000n;
    lastNano = nano > lastNano ? nano : lastNano + 1n;
    const event: EngineEvent = {
      type: "container",
      action,
      detail: "",
      id: c.id,
      attributes: { ...c.labels, name: c.name, image: c.image },
      time,
      timeNano: lastNano,
      ...(action === "die" ? { exitCode: c.exitCode } : {}),
      ...(action === "health_status" ? { health: c.health } : {}),
    };
    log.push(event);
    for (const subscriber of subscribers) subscriber(event);
  }

  function matches(event: EngineEvent, filters: WatchEventsOptions["filters"]): boolean {
    if (filters?.types && !filters.types.includes(event.type)) return false;
    if (filters?.actions && !filters.actions.includes(event.action)) return false;
    if (filters?.containers && !filters.containers.some((c) => c === event.id || c === event.attributes.name)) return false;
    return matchesLabelFilters(event.attributes, filters?.labels);
  }

  async function* watchEvents(options: WatchEventsOptions): AsyncGenerator<EngineEventItem> {
    check();
    const queue: EngineEvent[] = [];
    const wakeup = createWakeup(options.signal);
    const subscriber = (event: EngineEvent) => {
      if (!matches(event, options.filters)) return;
      queue.push(event);
      wakeup.notify();
    };
    subscribers.add(subscriber);
    try {
      yield { kind: "connected" };
      while (!options.signal?.aborted) {
        const event = queue.shift();
        if (event) yield { kind: "event", event };
        else await wakeup.next();
      }
    } finally {
      subscribers.delete(subscriber);
      wakeup.close();
    }
  }

  return {
    ...createFakeResourceControl(),
    containers,
    pulls,
    watchEvents,
    async loggedEvents(options) {
      check();
      const until = BigInt(options.until.getTime()) * 1_000_000n + 999_999n;
      return log.filter((e) => e.timeNano >= options.since && e.timeNano <= until && matches(e, options.filters));
    },
    setHealth(id, health) {
      const c = find(id);
      c.health = health;
      emit(c, "health_status");
    },
    addRegistryImage(ref) {
      registryImages.add(ref);
    },
    addImage(ref) {
      images.set(ref, { id: `sha256:${randomBytes(32).toString("hex")}`, repoTags: [ref], repoDigests: [], sizeBytes: 1024, createdAt: new Date() });
    },
    setReachable(value) {
      reachable = value;
    },
    exitContainer(id, exitCode) {
      const c = find(id);
      Object.assign(c, { state: "exited", status: `Exited (${exitCode})`, exitCode, finishedAt: new Date() });
      emit(c, "die");
    },
    async ping() {
      await tick();
      check();
    },
    async listContainers(query) {
      await tick();
      check();
      return [...containers.values()].filter((c) => matchesContainerQuery(c, query)).map(summary);
    },
    async copyFilesToContainer(id) {
      await tick();
      check();
      find(id);
    },
    async inspectContainer(id) {
      await tick();
      check();
      return structuredClone(find(id));
    },
    async createContainer(spec: ContainerSpec) {
      await tick();
      check();
      if (!images.has(spec.image)) throw new DockhandError("NotFound", `No such image: ${spec.image}`);
      const id = randomBytes(32).toString("hex");
      const name = spec.name ?? `fake_${id.slice(0, 8)}`;
      if ([...containers.values()].some((c) => c.name === name)) {
        throw new DockhandError("AlreadyExists", `Conflict. The container name "/${name}" is already in use`);
      }
      containers.set(id, {
        id,
        name,
        image: spec.image,
        imageId: images.get(spec.image)!.id,
        labels: { ...spec.labels },
        state: "created",
        status: "Created",
        createdAt: new Date(),
        ports: [],
        health: "none",
        startedAt: undefined,
        finishedAt: undefined,
        exitCode: 0,
        restartCount: 0,
        error: "",
        command: spec.command ?? [],
      });
      const c = containers.get(id)!;
      c.ports = (spec.ports ?? []).map((p) => ({ ...p, hostIp: p.hostIp || "0.0.0.0", hostPort: p.hostPort || nextHostPort++ }));
      emit(c, "create");
      return id;
    },
    async startContainer(id) {
      await tick();
      check();
      const c = find(id);
      if (c.state === "running") throw new DockhandError("NotModified", "container already started");
      Object.assign(c, { state: "running", status: "Up", startedAt: new Date() });
      emit(c, "start");
    },
    async stopContainer(id) {
      await tick();
      check();
      const c = find(id);
      if (c.state !== "running" && c.state !== "paused") throw new DockhandError("NotModified", "container already stopped");
      Object.assign(c, { state: "exited", status: "Exited (143)", exitCode: 143, finishedAt: new Date() });
      emit(c, "die");
    },
    async renameContainer(id, name) {
      await tick();
      check();
      const c = find(id);
      if ([...containers.values()].some((other) => other.name === name && other.id !== c.id)) {
        throw new DockhandError("AlreadyExists", `Conflict. The container name "/${name}" is already in use`);
      }
      c.name = name;
      emit(c, "rename");
    },
    async removeContainer(id, options) {
      await tick();
      check();
      const c = find(id);
      if (c.state === "running" && !options.force) {
        throw new DockhandError("Conflict", "You cannot remove a running container. Stop the container before attempting removal or force remove");
      }
      containers.delete(c.id);
      emit(c, "destroy");
    },
    async inspectImage(ref) {
      await tick();
      check();
      const image = images.get(ref);
      if (!image) throw new DockhandError("NotFound", `No such image: ${ref}`);
      return structuredClone(image);
    },
    async pullImage(ref, options) {
      pulls.push(ref);
      await tick();
      check();
      if (!registryImages.has(ref)) throw new DockhandError("NotFound", `pull image ${ref}: manifest unknown`);
      options?.onProgress?.({ layerId: ref, status: "Pulling from fake registry", currentBytes: 0, totalBytes: 0 });
      if (!images.has(ref)) {
        images.set(ref, { id: `sha256:${randomBytes(32).toString("hex")}`, repoTags: [ref], repoDigests: [], sizeBytes: 1024, createdAt: new Date() });
      }
      const image = images.get(ref)!;
      return { image: ref, imageId: image.id, digest: `sha256:${image.id.slice(7)}` };
    },
  };
}
