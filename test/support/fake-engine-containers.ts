/**
 * The fake engine's containers: their lifecycle as the real engine answers it (NotModified,
 * Conflict, NotFound, AlreadyExists), output written by the test (`writeOutput`) for logs,
 * and stats and exec for running containers.
 */
import { randomBytes } from "node:crypto";
import { DockhandError } from "../../src/model/dockhand-error.js";
import { matchesContainerQuery } from "../../src/engine/container-query.js";
import type { ContainerControl } from "../../src/engine/container-control.js";
import type { ContainerStreams } from "../../src/engine/container-streams.js";
import type { ContainerDescription, ContainerSummary } from "../../src/engine/types.js";
import {
  checkReachable,
  emitContainerEvent,
  findContainer,
  findImage,
  imageDetails,
  newImage,
  tick,
  type FakeContainer,
  type FakeEngineState,
} from "./fake-engine-state.js";

function summary(c: FakeContainer): ContainerSummary {
  return {
    id: c.id,
    name: c.name,
    image: c.image,
    imageId: c.imageId,
    labels: { ...c.labels },
    state: c.state,
    status: c.status,
    createdAt: c.createdAt,
    ports: [...c.ports],
  };
}

function description(c: FakeContainer): ContainerDescription {
  const { spec, output: _output, ...details } = structuredClone(c);
  return {
    ...details,
    memoryBytes: spec.memoryBytes ?? 0,
    nanoCpus: spec.nanoCpus ?? 0,
    restart: spec.restart ?? { mode: "no", maxRetries: 0 },
    init: spec.init ?? false,
    stopGraceSeconds: spec.stopGraceSeconds,
    hostAccess: spec.hostAccess ?? { privileged: false, hostNetwork: false, addCapabilities: [] },
    mounts: spec.mounts ?? [],
  };
}

export function createFakeContainers(state: FakeEngineState): ContainerControl & ContainerStreams {
  let nextHostPort = 40000;
  /** Reachable, then the container. */
  const reach = async (id: string) => {
    await tick();
    checkReachable(state);
    return findContainer(state, id);
  };
  const running = (c: FakeContainer, operation: string) => {
    if (c.state !== "running") throw new DockhandError("Conflict", `${operation}: container ${c.id} is not running`);
  };
  const exit = (c: FakeContainer, exitCode: number) => {
    Object.assign(c, { state: "exited", status: `Exited (${exitCode})`, exitCode, finishedAt: new Date() });
    emitContainerEvent(state, c, "die");
  };
  const start = (c: FakeContainer) => {
    Object.assign(c, { state: "running", status: "Up", startedAt: new Date() });
    emitContainerEvent(state, c, "start");
  };

  const containers: ContainerControl & ContainerStreams = {
    async list(query) {
      await tick();
      checkReachable(state);
      return [...state.containers.values()].filter((c) => matchesContainerQuery(c, query)).map(summary);
    },
    async inspect(id) {
      const { spec: _spec, output: _output, ...details } = structuredClone(await reach(id));
      return details;
    },
    describe: async (id) => description(await reach(id)),
    async describeMany(ids) {
      await tick();
      checkReachable(state);
      return ids.flatMap((id) => (state.containers.has(id) ? [description(state.containers.get(id)!)] : []));
    },
    async create(spec) {
      await tick();
      checkReachable(state);
      const image = findImage(state, spec.image);
      if (!image) throw new DockhandError("NotFound", `No such image: ${spec.image}`);
      const id = randomBytes(32).toString("hex");
      const name = spec.name ?? `fake_${id.slice(0, 8)}`;
      if ([...state.containers.values()].some((c) => c.name === name)) {
        throw new DockhandError("AlreadyExists", `Conflict. The container name "/${name}" is already in use`);
      }
      const c: FakeContainer = {
        id,
        name,
        image: spec.image,
        imageId: image.id,
        labels: { ...spec.labels },
        state: "created",
        status: "Created",
        createdAt: new Date(),
        ports: (spec.ports ?? []).map((p) => ({
          ...p,
          hostIp: p.hostIp || "0.0.0.0",
          hostPort: p.hostPort || nextHostPort++,
        })),
        health: "none",
        startedAt: undefined,
        finishedAt: undefined,
        exitCode: 0,
        restartCount: 0,
        error: "",
        command: spec.command ?? [],
        spec: structuredClone(spec),
        output: [],
      };
      state.containers.set(id, c);
      emitContainerEvent(state, c, "create");
      return id;
    },
    async start(id) {
      const c = await reach(id);
      if (c.state === "running") throw new DockhandError("NotModified", "container already started");
      if (c.state === "paused")
        throw new DockhandError("Conflict", "cannot start a paused container, try unpause instead");
      start(c);
    },
    async stop(id) {
      const c = await reach(id);
      if (c.state !== "running" && c.state !== "paused")
        throw new DockhandError("NotModified", "container already stopped");
      exit(c, 143);
    },
    async restart(id) {
      const c = await reach(id);
      if (c.state === "running" || c.state === "paused") exit(c, 143);
      c.restartCount++;
      start(c);
    },
    async kill(id, killSignal) {
      const c = await reach(id);
      running(c, `kill container ${id} with ${killSignal}`);
      emitContainerEvent(state, c, "kill");
      exit(c, 137);
    },
    async pause(id) {
      const c = await reach(id);
      running(c, `pause container ${id}`);
      Object.assign(c, { state: "paused", status: "Up (Paused)" });
      emitContainerEvent(state, c, "pause");
    },
    async unpause(id) {
      const c = await reach(id);
      if (c.state !== "paused")
        throw new DockhandError("Internal", `unpause container ${id}: Container ${c.id} is not paused`);
      Object.assign(c, { state: "running", status: "Up" });
      emitContainerEvent(state, c, "unpause");
    },
    async wait(id, signal) {
      const c = await reach(id);
      while (c.state === "running" || c.state === "paused" || c.state === "restarting") {
        if (signal?.aborted) throw new DockhandError("Cancelled", `wait for container ${id}: cancelled`);
        await new Promise<void>((resolve) => {
          const done = () => {
            state.subscribers.delete(onEvent);
            signal?.removeEventListener("abort", done);
            resolve();
          };
          const onEvent = () => done();
          state.subscribers.add(onEvent);
          signal?.addEventListener("abort", done, { once: true });
        });
      }
      return { exitCode: c.exitCode, error: c.error };
    },
    async remove(id, options) {
      const c = await reach(id);
      if ((c.state === "running" || c.state === "paused") && !options.force) {
        throw new DockhandError(
          "Conflict",
          "You cannot remove a running container. Stop the container before attempting removal or force remove",
        );
      }
      state.containers.delete(c.id);
      emitContainerEvent(state, c, "destroy");
    },
    async rename(id, name) {
      const c = await reach(id);
      if ([...state.containers.values()].some((other) => other.name === name && other.id !== c.id)) {
        throw new DockhandError("AlreadyExists", `Conflict. The container name "/${name}" is already in use`);
      }
      c.name = name;
      emitContainerEvent(state, c, "rename");
    },
    async copyFiles(id) {
      await reach(id);
    },
    async commit(id, options) {
      await reach(id);
      const ref = `${options.repository}:${options.tag}`;
      const image = newImage(ref, `sha256:${randomBytes(32).toString("hex")}`);
      state.images.set(ref, image);
      return imageDetails(image);
    },
    async *logs(id, options) {
      const c = await reach(id);
      const lines = c.output.filter((line) => (line.stream === "stdout" ? options.stdout : options.stderr));
      const kept = options.tail === undefined ? lines : lines.slice(Math.max(0, lines.length - options.tail));
      if (kept.length > 0) yield kept.map((line) => ({ stream: line.stream, text: line.text }));
    },
    async *stats(id) {
      const c = await reach(id);
      running(c, `read stats of container ${id}`);
      yield {
        time: new Date(),
        cpuPercent: 0,
        onlineCpus: 1,
        memoryUsageBytes: 1 << 20,
        memoryLimitBytes: 1 << 30,
        networkRxBytes: 0,
        networkTxBytes: 0,
        blockReadBytes: 0,
        blockWriteBytes: 0,
        pids: 1,
      };
    },
    async *exec(id, options) {
      const c = await reach(id);
      running(c, `exec in container ${id}`);
      yield { kind: "output", stream: "stdout", data: Buffer.from(`${options.command.join(" ")}\n`) };
      yield { kind: "exit", exitCode: 0 };
    },
  };
  return containers;
}
