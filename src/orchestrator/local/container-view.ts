import type { Logger } from "pino";
import type { CoreEngine } from "../../engine/engine.js";
import type { EngineEvent, EngineEvents } from "../../engine/event-stream.js";
import type { ContainerDetails } from "../../engine/types.js";
import { DockhandError, isDockhandError } from "../../model/dockhand-error.js";
import { runBounded } from "../../lib/bounded.js";
import { instanceFilter, ownedBy, serviceFilter } from "../../model/ownership-labels.js";
import type { ContainerStatusView } from "../service-status.js";

/** Whether the engine answers, as a health monitor sees it. */
export interface EngineReachability {
  current(): "SERVING" | "NOT_SERVING";
  subscribe(listener: (state: "SERVING" | "NOT_SERVING") => void): () => void;
}

export interface ContainerViewOptions {
  engine: Pick<CoreEngine, "listContainers" | "inspectContainer">;
  /** Only containers this dockhand owns are in the view. */
  instance: string;
  events: EngineEvents;
  logger: Logger;
  /** Inspections at once during a rebuild. Default 8. */
  concurrency?: number;
  /** When it says NOT_SERVING the view stops answering from memory until rebuilt. */
  reachability?: EngineReachability;
}

export interface OwnedContainer extends ContainerStatusView {
  service: string;
  /** Engine's record of why the last start failed, if it did. */
  error: string;
  finishedAt: Date | undefined;
}

/**
 * An in-memory view of every container carrying dockhand's labels, kept current by engine
 * events and rebuilt from a full list at start, after an event-stream gap, and after the
 * engine was unreachable. Status reads answer from it without asking the engine.
 */
export interface ContainerView {
  /** Subscribes to events, builds the view, and keeps it current until `close`. */
  start(): Promise<void>;
  close(): void;
  /** The containers of one service, by slot. Unavailable while the engine cannot be reached. */
  containersOf(service: string): Promise<OwnedContainer[]>;
  /** Every service name that has containers on the engine. */
  services(): Promise<string[]>;
  /** True while the view is known to match the engine (built, and the engine reachable). */
  isTrusted(): boolean;
  /** Re-reads one container, after dockhand changed it, so reads see the change at once. */
  refresh(id: string): Promise<void>;
  /** Re-reads all containers of a service from the engine. */
  resyncService(service: string): Promise<void>;
  /** Called with a service's name whenever one of its containers changed. */
  onChange(listener: (service: string) => void): () => void;
}

const relevantActions = new Set(["create", "start", "restart", "die", "kill", "stop", "oom", "pause", "unpause", "destroy", "health_status", "rename"]);

function toOwned(details: ContainerDetails, instance: string): OwnedContainer | undefined {
  const owner = ownedBy(details.labels, instance);
  if (!owner) return undefined;
  return {
    id: details.id,
    name: details.name,
    service: owner.service,
    slot: owner.slot,
    state: details.state,
    health: details.health,
    ports: details.ports,
    startedAt: details.startedAt,
    finishedAt: details.finishedAt,
    createdAt: details.createdAt,
    definitionVersion: owner.definitionVersion,
    exitCode: details.exitCode,
    error: details.error,
  };
}

export function createContainerView(options: ContainerViewOptions): ContainerView {
  const { engine, events, logger, instance } = options;
  const concurrency = options.concurrency ?? 8;
  const byId = new Map<string, OwnedContainer>();
  /** Per service, its containers sorted by slot; dropped on change and sorted again on read. */
  const sortedCache = new Map<string, OwnedContainer[]>();
  const listeners = new Set<(service: string) => void>();
  const stop = new AbortController();
  let trusted = false;
  let rebuilding: Promise<void> | undefined;
  let unsubscribe: (() => void) | undefined;

  function notify(service: string): void {
    sortedCache.delete(service);
    for (const listener of listeners) {
      try {
        listener(service);
      } catch (err) {
        logger.error({ err, service }, "container view listener failed");
      }
    }
  }

  /** Changes made while a full list is under way; they are newer than what the list saw. */
  const recorders = new Set<Map<string, OwnedContainer | undefined>>();

  function put(id: string, next: OwnedContainer | undefined): void {
    const before = byId.get(id);
    if (next) byId.set(id, next);
    else byId.delete(id);
    for (const recorder of recorders) recorder.set(id, next);
    const service = next?.service ?? before?.service;
    if (service) notify(service);
  }

  /** The newest read of each container still under way; an older one's result is stale. */
  const latestRead = new Map<string, Promise<void>>();

  /**
   * Reads one container into the view. A read overtaken by a newer one leaves the result to
   * it, and resolves only once that newer one is in the view: a caller that waits for its read
   * always finds the view at least as new as the moment it asked.
   */
  function read(id: string): Promise<void> {
    const self: { reading?: Promise<void> } = {};
    self.reading = (async () => {
      let next: OwnedContainer | undefined;
      try {
        next = toOwned(await engine.inspectContainer(id), instance);
      } catch (err) {
        if (!isDockhandError(err, "NotFound")) throw err;
      }
      const newest = latestRead.get(id);
      if (newest !== self.reading) {
        await newest?.catch(() => undefined);
        return;
      }
      put(id, next);
    })();
    const reading = self.reading;
    latestRead.set(id, reading);
    void reading.catch(() => undefined).then(() => {
      if (latestRead.get(id) === reading) latestRead.delete(id);
    });
    return reading;
  }

  /** The engine destroyed a container: reads of it still under way are stale. */
  function forget(id: string): void {
    latestRead.delete(id);
    put(id, undefined);
  }

  async function listAndRead(labels: string[]): Promise<Map<string, OwnedContainer>> {
    const summaries = await engine.listContainers({ all: true, labels });
    const found = new Map<string, OwnedContainer>();
    const failure = await runBounded(summaries, concurrency, async (summary) => {
      try {
        const owned = toOwned(await engine.inspectContainer(summary.id), instance);
        if (owned) found.set(owned.id, owned);
      } catch (err) {
        if (!isDockhandError(err, "NotFound")) throw err;
      }
    });
    if (failure) throw failure;
    return found;
  }

  /** Lists and reads containers, then lays over it what changed meanwhile. */
  async function snapshot(labels: string[], keep: (c: OwnedContainer) => boolean): Promise<Map<string, OwnedContainer>> {
    const newer = new Map<string, OwnedContainer | undefined>();
    recorders.add(newer);
    try {
      const found = await listAndRead(labels);
      for (const [id, c] of newer) {
        if (c && keep(c)) found.set(id, c);
        else found.delete(id);
      }
      return found;
    } finally {
      recorders.delete(newer);
    }
  }

  function rebuild(): Promise<void> {
    rebuilding ??= (async () => {
      try {
        const found = await snapshot([instanceFilter(instance)], () => true);
        const touched = new Set<string>();
        for (const [id, c] of byId) if (!found.has(id)) touched.add(c.service);
        for (const c of found.values()) touched.add(c.service);
        byId.clear();
        sortedCache.clear();
        for (const [id, c] of found) byId.set(id, c);
        trusted = true;
        for (const service of touched) notify(service);
      } finally {
        rebuilding = undefined;
      }
    })();
    return rebuilding;
  }

  async function ensureTrusted(): Promise<void> {
    if (trusted) return;
    try {
      await rebuild();
    } catch (err) {
      if (isDockhandError(err, "Unavailable")) {
        throw new DockhandError("Unavailable", `the Docker engine cannot be reached, so container status is unknown: ${err.message}`, { cause: err });
      }
      throw err;
    }
  }

  function apply(event: EngineEvent): void {
    if (!relevantActions.has(event.action)) return;
    if (event.action === "destroy") {
      forget(event.id);
      return;
    }
    read(event.id).catch((err: unknown) => {
      logger.warn({ err, containerId: event.id }, "could not read a container after an event");
      trusted = false;
    });
  }

  async function follow(connected: () => void): Promise<void> {
    while (!stop.signal.aborted) {
      try {
        const stream = events.watchEvents({ filters: { types: ["container"], labels: [instanceFilter(instance)] }, signal: stop.signal });
        for await (const item of stream) {
          if (item.kind === "connected") {
            // Subscribed first, then listed: no change between the two is missed.
            await rebuild().catch(() => (trusted = false));
            connected();
          } else if (item.kind === "resynced") {
            logger.info({ reason: item.reason }, "engine event stream resumed: rebuilding the container view");
            trusted = false;
            await rebuild().catch(() => undefined);
          } else {
            apply(item.event);
          }
        }
      } catch (err) {
        if (stop.signal.aborted) return;
        trusted = false;
        connected();
        logger.debug({ err }, "engine event stream unavailable; retrying");
        await new Promise((resolve) => setTimeout(resolve, 1000).unref());
      }
    }
  }

  return {
    async start() {
      unsubscribe = options.reachability?.subscribe((state) => {
        if (state === "NOT_SERVING") trusted = false;
        else void rebuild().catch(() => undefined);
      });
      await new Promise<void>((resolve) => void follow(resolve));
    },
    close() {
      stop.abort();
      unsubscribe?.();
      listeners.clear();
    },
    async containersOf(service) {
      if (options.reachability?.current() === "NOT_SERVING") trusted = false;
      await ensureTrusted();
      let sorted = sortedCache.get(service);
      if (!sorted) {
        sorted = [...byId.values()].filter((c) => c.service === service).sort((a, b) => a.slot - b.slot || a.name.localeCompare(b.name));
        sortedCache.set(service, sorted);
      }
      return sorted;
    },
    async services() {
      await ensureTrusted();
      return [...new Set([...byId.values()].map((c) => c.service))];
    },
    isTrusted: () => trusted && options.reachability?.current() !== "NOT_SERVING",
    refresh: (id) => read(id),
    async resyncService(service) {
      const found = await snapshot([serviceFilter(service), instanceFilter(instance)], (c) => c.service === service);
      for (const [id, c] of byId) if (c.service === service && !found.has(id)) byId.delete(id);
      for (const [id, c] of found) byId.set(id, c);
      notify(service);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
