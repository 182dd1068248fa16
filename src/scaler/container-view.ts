import type { Logger } from "pino";
import type { CoreEngine } from "../engine/engine.js";
import type { EngineEvent, EngineEvents } from "../engine/event-stream.js";
import type { ContainerDetails } from "../engine/types.js";
import { DockhandError, isDockhandError } from "../errors/dockhand-error.js";
import { runBounded } from "./bounded.js";
import { instanceFilter, ownedBy, serviceFilter } from "./ownership.js";
import type { ContainerStatusView } from "./service-status.js";

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
  /** Bumped on every read of a container, so a slow, older read never overwrites a newer one. */
  const readSeq = new Map<string, number>();
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

  function put(id: string, next: OwnedContainer | undefined): void {
    const before = byId.get(id);
    if (next) byId.set(id, next);
    else byId.delete(id);
    const service = next?.service ?? before?.service;
    if (service) notify(service);
  }

  async function read(id: string): Promise<void> {
    const seq = (readSeq.get(id) ?? 0) + 1;
    readSeq.set(id, seq);
    let next: OwnedContainer | undefined;
    try {
      next = toOwned(await engine.inspectContainer(id), instance);
    } catch (err) {
      if (!isDockhandError(err, "NotFound")) throw err;
    }
    if (readSeq.get(id) !== seq) return;
    if (!next) readSeq.delete(id);
    put(id, next);
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

  function rebuild(): Promise<void> {
    rebuilding ??= (async () => {
      try {
        const found = await listAndRead([instanceFilter(instance)]);
        const touched = new Set<string>();
        for (const [id, c] of byId) if (!found.has(id)) touched.add(c.service);
        for (const c of found.values()) touched.add(c.service);
        byId.clear();
        readSeq.clear();
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
      readSeq.delete(event.id);
      put(event.id, undefined);
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
    refresh: (id) => read(id),
    async resyncService(service) {
      const found = await listAndRead([serviceFilter(service), instanceFilter(instance)]);
      for (const [id, c] of byId) if (c.service === service && !found.has(id)) byId.delete(id);
      for (const [id, c] of found) {
        readSeq.delete(id);
        byId.set(id, c);
      }
      notify(service);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
