/**
 * What the parts of the in-memory fake engine share: its containers and images, whether it is
 * reachable, and its event log with the subscribers that follow it.
 */
import { DockhandError } from "../../src/model/dockhand-error.js";
import type { ContainerDetails, ContainerSpec, ImageDetails } from "../../src/engine/types.js";
import type { EngineEvent } from "../../src/engine/event-stream.js";
import type { ImageSummary } from "../../src/engine/image-control.js";

export interface FakeContainer extends ContainerDetails {
  /** What it was created with, for describe. */
  spec: ContainerSpec;
  /** What it wrote, for logs. */
  output: Array<{ stream: "stdout" | "stderr"; text: string }>;
}

export interface FakeEngineState {
  readonly containers: Map<string, FakeContainer>;
  readonly images: Map<string, ImageSummary>;
  readonly registryImages: Set<string>;
  readonly pulls: string[];
  reachable: boolean;
  /** Every event, oldest first: what the engine's event log holds. */
  readonly log: EngineEvent[];
  readonly subscribers: Set<(event: EngineEvent) => void>;
}

export function createFakeEngineState(): FakeEngineState {
  return {
    containers: new Map(),
    images: new Map(),
    registryImages: new Set(),
    pulls: [],
    reachable: true,
    log: [],
    subscribers: new Set(),
  };
}

/** Lets other work run first, as a call to a real engine would. */
export const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Unavailable while the fake is "unreachable". */
export function checkReachable(state: FakeEngineState): void {
  if (!state.reachable) throw new DockhandError("Unavailable", "fake engine unreachable");
}

/** By id, name or id prefix, as the engine resolves a container reference. */
export function findContainer(state: FakeEngineState, ref: string): FakeContainer {
  const found =
    state.containers.get(ref) ?? [...state.containers.values()].find((c) => c.name === ref || c.id.startsWith(ref));
  if (!found) throw new DockhandError("NotFound", `No such container: ${ref}`);
  return found;
}

/** By reference (any of its tags) or id, as the engine resolves an image reference. */
export function findImage(state: FakeEngineState, ref: string): ImageSummary | undefined {
  return (
    state.images.get(ref) ??
    [...state.images.values()].find((image) => image.id === ref || image.repoTags.includes(ref))
  );
}

export function newImage(ref: string | undefined, id: string): ImageSummary {
  return {
    id,
    repoTags: ref ? [ref] : [],
    repoDigests: [],
    sizeBytes: 1024,
    createdAt: new Date(),
    parentId: "",
    labels: {},
  };
}

/** The part of an image the scaler sees. */
export function imageDetails(image: ImageSummary): ImageDetails {
  return {
    id: image.id,
    repoTags: [...image.repoTags],
    repoDigests: [...image.repoDigests],
    sizeBytes: image.sizeBytes,
    createdAt: image.createdAt,
  };
}

let lastNano = 0n;

export function emitEvent(state: FakeEngineState, event: Omit<EngineEvent, "time" | "timeNano">): void {
  const time = new Date();
  // The engine's clock has nanoseconds; this one, strictly increasing, stands in for it.
  const nano = BigInt(time.getTime()) * 1_000_000n;
  lastNano = nano > lastNano ? nano : lastNano + 1n;
  const full: EngineEvent = { ...event, time, timeNano: lastNano };
  state.log.push(full);
  for (const subscriber of state.subscribers) subscriber(full);
}

export function emitContainerEvent(state: FakeEngineState, c: ContainerDetails, action: string): void {
  emitEvent(state, {
    type: "container",
    action,
    detail: "",
    id: c.id,
    attributes: { ...c.labels, name: c.name, image: c.image },
    ...(action === "die" ? { exitCode: c.exitCode } : {}),
    ...(action === "health_status" ? { health: c.health } : {}),
  });
}
