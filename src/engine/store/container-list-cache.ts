import type { Logger } from "pino";
import { isDockhandError } from "../../model/dockhand-error.js";
import { containerStatusText } from "../container-status-text.js";
import type { CoreEngine } from "../engine.js";
import { runBounded } from "../../lib/bounded.js";
import { matchesContainerQuery } from "../container-query.js";
import { eventKey, type EngineEvent, type EngineEventLog, type EngineEvents } from "../event-stream.js";
import type { ContainerDetails, ContainerQuery, ContainerSummary } from "../types.js";

export interface ContainerListCacheOptions {
  engine: Pick<CoreEngine, "listContainers" | "inspectContainer">;
  events: EngineEvents & EngineEventLog;
  logger: Logger;
  /** Inspections at once while the cache is (re)built. Default 8. */
  concurrency?: number;
  /** How long a list waits for events the engine logged but the stream has not yet brought. Default 100 ms. */
  catchUpMs?: number;
  /** Told how each list was answered: by the cache, or why it could not be. */
  onList?: (answer: ListCacheAnswer) => void;
}

/**
 * How a list was answered: `cache`, or why the engine's list had to answer it instead:
 * the cache is still being built (or rebuilt after a failed read or a lost event stream),
 * the engine's event log could not be read, or events the log showed were not applied in time.
 */
export type ListCacheAnswer = "cache" | "building" | "event_log_failed" | "catch_up_timeout";

/**
 * Every container on the engine, in memory, kept current by the engine's events, so that a
 * container list is answered without the engine's costly list call (as the CRI's container
 * stores do). Before it answers, it asks the engine's event log whether anything happened
 * that it has not yet applied, and waits for that: a list sees every change the engine made
 * before the list began, through dockhand or behind its back. It needs the engine's clock to
 * be its own, so it is used only for an engine on this host (a unix socket).
 */
export interface ContainerListCache {
  /**
   * Subscribes to the events and builds the cache; resolves once the first build ended. The
   * first `list` calls it (and asks the engine meanwhile): a dockhand whose clients never list
   * containers never pays for the cache. Calling it again returns the same promise.
   */
  start(): Promise<void>;
  close(): void;
  /** What the engine's list would answer now; undefined when the cache cannot vouch for it. */
  list(query: ContainerQuery, signal?: AbortSignal): Promise<ContainerSummary[] | undefined>;
}

/** Far more events than the engine logs between two lists of a busy caller. */
const rememberedEvents = 4096;

/** Actions after which what a list shows of a container may differ. */
const listedActions = new Set(["create", "start", "restart", "die", "kill", "stop", "oom", "pause", "unpause", "health_status", "rename", "update"]);

function toSummary(c: ContainerDetails, now: number): ContainerSummary {
  return {
    id: c.id,
    name: c.name,
    image: c.image,
    imageId: c.imageId,
    labels: c.labels,
    state: c.state,
    status: containerStatusText(c, now),
    createdAt: c.createdAt,
    ports: c.ports,
  };
}

export function createContainerListCache(options: ContainerListCacheOptions): ContainerListCache {
  const { engine, events, logger } = options;
  const concurrency = options.concurrency ?? 8;
  const catchUpMs = options.catchUpMs ?? 100;
  const onList = options.onList ?? (() => undefined);
  const containers = new Map<string, ContainerDetails>();
  /** Per container, the number of its newest read: an older read's answer is dropped. */
  const readNumbers = new Map<string, number>();
  /** Reads under way, newest per container. */
  const pending = new Map<string, Promise<void>>();
  const stop = new AbortController();
  let trusted = false;
  /** The engine's time of the newest event the stream brought (or of subscribing). */
  let seenNano = 0n;
  /** The last events the stream brought, by key, and who waits for more. */
  const received = new Set<string>();
  const waiters = new Set<() => void>();
  let reads = 0;
  let failedReads = 0;
  let started: Promise<void> | undefined;

  function read(id: string): Promise<void> {
    const number = ++reads;
    readNumbers.set(id, number);
    const reading = engine.inspectContainer(id).then(
      (details) => {
        if (readNumbers.get(id) === number) containers.set(id, details);
      },
      (err: unknown) => {
        if (!isDockhandError(err, "NotFound")) throw err;
        if (readNumbers.get(id) === number) containers.delete(id);
      },
    );
    const settled = reading.catch((err: unknown) => {
      // Lists go to the engine until a full rebuild has read everything again.
      trusted = false;
      failedReads++;
      logger.warn({ err, containerId: id }, "container list cache: could not read a container; rebuilding");
      setTimeout(() => void rebuild().catch(() => undefined), 1000).unref();
    });
    pending.set(id, settled);
    void settled.then(() => {
      if (pending.get(id) === settled) pending.delete(id);
    });
    return settled;
  }

  function apply(event: EngineEvent): void {
    if (event.action === "destroy") {
      readNumbers.set(event.id, ++reads);
      pending.delete(event.id);
      containers.delete(event.id);
    } else if (listedActions.has(event.action)) {
      void read(event.id);
    }
    if (event.timeNano > seenNano) seenNano = event.timeNano;
    received.add(eventKey(event));
    if (received.size > rememberedEvents) received.delete(received.values().next().value as string);
    for (const wake of waiters) wake();
  }

  let rebuilding: Promise<void> | undefined;
  function rebuild(): Promise<void> {
    if (stop.signal.aborted) return Promise.resolve();
    rebuilding ??= readAll().finally(() => (rebuilding = undefined));
    return rebuilding;
  }

  async function readAll(): Promise<void> {
    trusted = false;
    const startedAt = reads;
    const failuresBefore = failedReads;
    const listed = await engine.listContainers({ all: true }, stop.signal);
    const ids = listed.map((c) => c.id);
    // A read never rejects (a failure is counted instead); one an event already made newer is skipped.
    await runBounded(ids, concurrency, async (id) => {
      if ((readNumbers.get(id) ?? 0) <= startedAt) await read(id);
    });
    const present = new Set(ids);
    for (const id of containers.keys()) {
      if (!present.has(id) && (readNumbers.get(id) ?? 0) <= startedAt) containers.delete(id);
    }
    while (pending.size > 0) await Promise.all(pending.values());
    // A read that failed meanwhile has asked for another rebuild.
    trusted = !stop.signal.aborted && failedReads === failuresBefore;
  }

  /**
   * Events the engine logged before the subscription never come down the stream; the list
   * that follows shows what they did. They count as received, so lists do not wait for them.
   */
  async function coverEarlierEvents(): Promise<void> {
    const since = BigInt(Date.now() - 5000) * 1_000_000n;
    const earlier = await events.loggedEvents({ since, until: new Date(), filters: { types: ["container"] }, signal: stop.signal });
    if (since > seenNano) seenNano = since;
    for (const event of earlier) {
      received.add(eventKey(event));
      if (event.timeNano > seenNano) seenNano = event.timeNano;
    }
  }

  async function follow(ready: () => void): Promise<void> {
    while (!stop.signal.aborted) {
      try {
        for await (const item of events.watchEvents({ filters: { types: ["container"] }, signal: stop.signal })) {
          if (item.kind === "event") {
            apply(item.event);
            continue;
          }
          // Subscribed first, then listed: nothing that happens in between is missed.
          if (item.kind === "connected") await coverEarlierEvents();
          await rebuild().catch((err: unknown) => logger.warn({ err }, "container list cache: rebuild failed; lists go to the engine"));
          ready();
        }
      } catch (err) {
        trusted = false;
        ready();
        if (stop.signal.aborted) return;
        logger.debug({ err }, "container list cache: engine events unavailable; retrying");
        await new Promise((resolve) => setTimeout(resolve, 1000).unref());
      }
    }
  }

  /** Waits until the stream has brought every one of `keys`; false if it did not in time. */
  function caughtUp(keys: string[], signal: AbortSignal | undefined): Promise<boolean> {
    const all = () => keys.every((key) => received.has(key));
    if (all()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const finish = (result: boolean) => {
        clearTimeout(timer);
        waiters.delete(check);
        signal?.removeEventListener("abort", abort);
        resolve(result);
      };
      const check = () => all() && finish(true);
      const abort = () => finish(false);
      const timer = setTimeout(abort, catchUpMs);
      waiters.add(check);
      signal?.addEventListener("abort", abort, { once: true });
    });
  }

  /** Whether the cache holds what the engine would list now, after applying what the engine logged. */
  async function caughtUpForList(signal: AbortSignal | undefined): Promise<ListCacheAnswer> {
    if (!trusted) {
      if (!stop.signal.aborted) void start();
      return "building";
    }
    const asked = new Date();
    let logged;
    try {
      logged = await events.loggedEvents({ since: seenNano, until: asked, filters: { types: ["container"] }, signal });
    } catch {
      return "event_log_failed";
    }
    if (!(await caughtUp(logged.map(eventKey), signal))) return "catch_up_timeout";
    while (pending.size > 0) await Promise.all(pending.values());
    return trusted ? "cache" : "building";
  }

  function start(): Promise<void> {
    started ??= new Promise<void>((resolve) => void follow(resolve));
    return started;
  }

  return {
    start,
    close() {
      stop.abort();
      trusted = false;
    },
    async list(query, signal) {
      const answer = await caughtUpForList(signal);
      onList(answer);
      if (answer !== "cache") return undefined;
      const now = Date.now();
      const found: ContainerSummary[] = [];
      for (const c of containers.values()) if (matchesContainerQuery(c, query)) found.push(toSummary(c, now));
      // Newest first, as the engine lists them.
      return found.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a.id.localeCompare(b.id));
    },
  };
}

/** `engine` with its container list answered by `cache` whenever the cache can vouch for it. */
export function withContainerListCache<E extends Pick<CoreEngine, "listContainers">>(engine: E, cache: ContainerListCache): E {
  return {
    ...engine,
    listContainers: async (query: ContainerQuery, signal?: AbortSignal) => (await cache.list(query, signal)) ?? engine.listContainers(query, signal),
  };
}
