/** An in-memory Engine for unit tests (never part of dist): containers, images, volumes, networks, events and system. */
import { randomBytes } from "node:crypto";
import type { Engine } from "../../src/engine/engine.js";
import type { EngineEvent, EngineEventItem, WatchEventsOptions } from "../../src/engine/event-stream.js";
import type { ContainerDetails } from "../../src/engine/types.js";
import { matchesLabelFilters } from "../../src/engine/container-query.js";
import { createWakeup } from "../../src/lib/wakeup.js";
import { createFakeContainers } from "./fake-engine-containers.js";
import { createFakeInteractive } from "./fake-engine-interactive.js";
import { createFakeImages } from "./fake-engine-images.js";
import {
  checkReachable,
  createFakeEngineState,
  emitContainerEvent,
  findContainer,
  newImage,
  tick,
  type FakeContainer,
  type FakeEngineState,
} from "./fake-engine-state.js";
import { createFakeResourceControl } from "./fake-resource-control.js";

export interface FakeEngine extends Engine {
  /** Makes an image present, as a pull or load would. */
  addImage(ref: string): void;
  /** Puts an image in the fake's "registry", so that pulls can fetch it. */
  addRegistryImage(ref: string): void;
  /** Every reference a pull was asked for, in call order, for assertions. */
  readonly pulls: readonly string[];
  /** Simulates the engine going away (every call fails Unavailable) and coming back. */
  setReachable(reachable: boolean): void;
  /** Makes a running container exit, as if its process died. */
  exitContainer(id: string, exitCode: number): void;
  /** Sets a running container's health, as its healthcheck would. */
  setHealth(id: string, health: ContainerDetails["health"]): void;
  /** Adds lines to what a container wrote, for its logs. */
  writeOutput(id: string, stream: "stdout" | "stderr", ...lines: string[]): void;
  /** Every container, for assertions. */
  readonly allContainers: ReadonlyMap<string, FakeContainer>;
}

function matches(event: EngineEvent, filters: WatchEventsOptions["filters"]): boolean {
  if (filters?.types && !filters.types.includes(event.type)) return false;
  if (filters?.actions && !filters.actions.includes(event.action)) return false;
  if (filters?.containers && !filters.containers.some((c) => c === event.id || c === event.attributes.name))
    return false;
  return matchesLabelFilters(event.attributes, filters?.labels);
}

function createFakeEvents(state: FakeEngineState): Engine["events"] {
  return {
    async *watch(options) {
      checkReachable(state);
      const queue: EngineEvent[] = [];
      const wakeup = createWakeup(options.signal);
      const subscriber = (event: EngineEvent) => {
        if (!matches(event, options.filters)) return;
        queue.push(event);
        wakeup.notify();
      };
      state.subscribers.add(subscriber);
      try {
        yield { kind: "connected" } satisfies EngineEventItem;
        while (!options.signal?.aborted) {
          const event = queue.shift();
          if (event) yield { kind: "event", event };
          else await wakeup.next();
        }
      } finally {
        state.subscribers.delete(subscriber);
        wakeup.close();
      }
    },
    async logged(options) {
      checkReachable(state);
      const until = BigInt(options.until.getTime()) * 1_000_000n + 999_999n;
      return state.log.filter((e) => e.timeNano >= options.since && e.timeNano <= until && matches(e, options.filters));
    },
  };
}

/**
 * An in-memory engine for fast unit tests of the layers above the engine. It follows the real
 * engine's error kinds (NotFound, AlreadyExists, NotModified, Conflict); every behaviour it
 * fakes is also proven against a real engine in test/integration.
 */
export function createFakeEngine(): FakeEngine {
  const state = createFakeEngineState();
  const { volumes, networks } = createFakeResourceControl();
  return {
    containers: { ...createFakeContainers(state), ...createFakeInteractive(state) },
    images: createFakeImages(state),
    volumes,
    networks,
    events: createFakeEvents(state),
    system: {
      async ping() {
        await tick();
        checkReachable(state);
      },
      async info() {
        await tick();
        checkReachable(state);
        const all = [...state.containers.values()];
        const count = (wanted: string) => all.filter((c) => c.state === wanted).length;
        return {
          id: "FAKE",
          engineVersion: "0.0.0-fake",
          apiVersion: "1.41",
          os: "linux",
          architecture: "x86_64",
          operatingSystem: "fake",
          kernelVersion: "0",
          cpus: 1,
          memoryBytes: 1 << 30,
          containers: all.length,
          containersRunning: count("running"),
          containersPaused: count("paused"),
          containersStopped: count("exited"),
          images: new Set(state.images.values()).size,
          name: "fake",
          storageDriver: "memory",
          swarm: "inactive",
        };
      },
    },
    allContainers: state.containers,
    pulls: state.pulls,
    addImage(ref) {
      state.images.set(ref, newImage(ref, `sha256:${randomBytes(32).toString("hex")}`));
    },
    addRegistryImage(ref) {
      state.registryImages.add(ref);
    },
    setReachable(value) {
      state.reachable = value;
    },
    exitContainer(id, exitCode) {
      const c = findContainer(state, id);
      Object.assign(c, { state: "exited", status: `Exited (${exitCode})`, exitCode, finishedAt: new Date() });
      emitContainerEvent(state, c, "die");
    },
    setHealth(id, health) {
      const c = findContainer(state, id);
      c.health = health;
      emitContainerEvent(state, c, "health_status");
    },
    writeOutput(id, stream, ...lines) {
      findContainer(state, id).output.push(...lines.map((text) => ({ stream, text })));
    },
  };
}
