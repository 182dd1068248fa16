import type { Logger } from "pino";
import { DockhandError, isDockhandError } from "../../model/dockhand-error.js";
import { runBounded } from "../../lib/bounded.js";
import { sleep } from "../../lib/sleep.js";
import { containerStatusText } from "../container-status-text.js";
import type { Engine } from "../engine.js";
import { matchesContainerQuery } from "../container-query.js";
import { eventKey, type EngineEvent, type EngineEventLog, type EngineEvents } from "../event-stream.js";
import type { ContainerDetails, ContainerQuery, ContainerSummary } from "../types.js";

/** Whether the engine answers, as a health monitor sees it. */
export interface EngineReachability {
  current(): "SERVING" | "NOT_SERVING";
  subscribe(listener: (state: "SERVING" | "NOT_SERVING") => void): () => void;
}

export interface ContainerStoreOptions {
  engine: Pick<Engine, "containers">;
  events: EngineEvents & EngineEventLog;
  logger: Logger;
  /** Inspections at once while the store is (re)built. Default 8. */
  concurrency?: number;
  /** While it says NOT_SERVING the store is not trusted; SERVING again rebuilds it. */
  reachability?: EngineReachability;
  /**
   * Whether `list` may answer for the engine. It checks the engine's event log at each list,
   * which needs the engine's clock to be this host's: true only for an engine on this host.
   */
  answersLists?: boolean;
  /** How long a list waits for events the engine logged but the stream has not yet brought. Default 100 ms. */
  catchUpMs?: number;
  /** Told how each list was answered: by the store, or why it could not be. */
  onList?: (answer: ListAnswer) => void;
}

/**
 * How a list was answered: `cache` (by the store), or why the engine's list had to answer it
 * instead: the store is being built (or rebuilt after a failed read or a lost event stream),
 * the engine's event log could not be read, events it showed were not applied in time, or the
 * store does not answer lists for this engine.
 */
export type ListAnswer = "cache" | "building" | "event_log_failed" | "catch_up_timeout";

/** One container's change: absent `before` for a new one, absent `after` for one removed. */
export interface ContainerChange {
  id: string;
  before: ContainerDetails | undefined;
  after: ContainerDetails | undefined;
}

/**
 * Every container on the engine, in memory, kept current by the engine's one event stream of
 * this process (as the CRI's container stores are). The scaler's view is a projection of it,
 * and container lists are answered from it.
 *
 * One rule orders racing reads of a container: each read takes a number, and only the newest
 * read's answer is kept; a caller waiting on an older read waits for the newest too, so it
 * always finds the store at least as new as the moment it asked. A `destroy` event makes every
 * read under way stale. The store is trusted once a full list has been read after subscribing,
 * and until a read fails, the event stream breaks or the engine stops answering.
 */
export interface ContainerStore {
  /** Subscribes to the events and builds the store; resolves once the first build ended, whatever its outcome. */
  start(): Promise<void>;
  close(): void;
  /** True while the store is known to hold what the engine holds. */
  isTrusted(): boolean;
  /** Rebuilds the store if it is not trusted. Unavailable when the engine cannot be reached. */
  ensureTrusted(): Promise<void>;
  /** Every container held now, trusted or not. */
  containers(): IterableIterator<ContainerDetails>;
  /** Reads one container again (after dockhand changed it), so that reads see the change at once. */
  refresh(id: string): Promise<void>;
  /** Lists the containers that match `query` and reads each again; those gone are dropped. */
  refreshMatching(query: ContainerQuery): Promise<void>;
  /** Drops a container dockhand itself just removed, without waiting for the engine's destroy event (or reading it again). */
  dropRemoved(id: string): void;
  /** Called for each container read, changed or removed. */
  onChange(listener: (change: ContainerChange) => void): () => void;
  /** What the engine's list would answer now; undefined when the store cannot vouch for it. */
  list(query: ContainerQuery, signal?: AbortSignal): Promise<ContainerSummary[] | undefined>;
}

/** Far more events than the engine logs between two lists of a busy caller. */
const rememberedEvents = 4096;

/** Actions after which a container's listing, state, health or name may differ. */
const readActions = new Set([
  "create",
  "start",
  "restart",
  "die",
  "kill",
  "stop",
  "oom",
  "pause",
  "unpause",
  "health_status",
  "rename",
  "update",
]);

function toSummary(c: ContainerDetails, now: number): ContainerSummary {
  return {
    id: c.id,
    name: c.name,
    image: c.image,
    imageId: c.imageId,
    labels: c.labels,
    state: c.state,
    status: containerStatusText(c, now),
    // The engine's list gives whole seconds (an inspect gives nanoseconds): answered as it would.
    createdAt: new Date(Math.floor(c.createdAt.getTime() / 1000) * 1000),
    ports: c.ports,
  };
}

export function createContainerStore(options: ContainerStoreOptions): ContainerStore {
  const { engine, events, logger } = options;
  const concurrency = options.concurrency ?? 8;
  const catchUpMs = options.catchUpMs ?? 100;
  const onList = options.onList ?? (() => undefined);
  const held = new Map<string, ContainerDetails>();
  const listeners = new Set<(change: ContainerChange) => void>();
  /** Per container that exists, the number of its newest read; an older read's answer is dropped. */
  const readNumbers = new Map<string, number>();
  /** The newest read under way, per container. */
  const pending = new Map<string, Promise<void>>();
  const stop = new AbortController();
  let reads = 0;
  let trusted = false;
  let started: Promise<void> | undefined;
  let rebuilding: Promise<void> | undefined;
  /** The engine's time of the newest event the stream brought (or of subscribing). */
  let seenNano = 0n;
  /** Keys of the last events the stream brought, and lists waiting for more. */
  const received = new Set<string>();
  const waiters = new Set<() => void>();

  function put(id: string, after: ContainerDetails | undefined): void {
    const before = held.get(id);
    if (after) held.set(id, after);
    else if (before) held.delete(id);
    else return;
    for (const listener of listeners) {
      try {
        listener({ id, before, after });
      } catch (err) {
        logger.error({ err, containerId: id }, "container store listener failed");
      }
    }
  }

  function distrust(reason: string, err?: unknown): void {
    if (trusted) logger.warn({ err, reason }, "container store no longer matches the engine; rebuilding");
    trusted = false;
  }

  /** Reads asked for while one of the same container is under way: each starts when that one ends, and serves every caller meanwhile. */
  const queued = new Map<string, Promise<void>>();

  /**
   * Reads one container; resolves once the store holds a read of it at least this new. Rejects
   * when the engine failed. At most one read per container is under way and one waits behind
   * it, so a burst of events (create, start, die...) costs two inspections, not one each.
   */
  function read(id: string): Promise<void> {
    const waiting = queued.get(id);
    if (waiting) return waiting;
    const current = pending.get(id);
    if (!current) return inspect(id);
    const next = current
      .catch(() => undefined)
      .then(() => {
        queued.delete(id);
        return inspect(id);
      });
    queued.set(id, next);
    return next;
  }

  function inspect(id: string): Promise<void> {
    const number = ++reads;
    readNumbers.set(id, number);
    const reading: Promise<void> = engine.containers
      .inspect(id)
      .then(
        (details) => {
          if (readNumbers.get(id) === number) put(id, details);
        },
        (err: unknown) => {
          if (!isDockhandError(err, "NotFound")) throw err;
          if (readNumbers.get(id) !== number) return;
          readNumbers.delete(id);
          put(id, undefined);
        },
      )
      .then(async () => {
        // Overtaken: the newer read's answer is the one the caller must find.
        const newest = pending.get(id);
        if (newest && newest !== reading) await newest;
      });
    pending.set(id, reading);
    void reading.then(
      () => pending.get(id) === reading && pending.delete(id),
      (err: unknown) => {
        if (pending.get(id) === reading) pending.delete(id);
        distrust("a container could not be read", err);
        scheduleRebuild();
      },
    );
    return reading;
  }

  /** Waits until no read is under way or waiting, including those that start meanwhile. */
  async function settled(): Promise<void> {
    while (pending.size > 0 || queued.size > 0) await Promise.allSettled([...pending.values(), ...queued.values()]);
  }

  /** The container is gone: dropped now, and every read of it still under way made stale. */
  function forget(id: string): void {
    // No number is newer than a missing one: reads under way are dropped, and the map holds
    // only containers that exist.
    readNumbers.delete(id);
    pending.delete(id);
    put(id, undefined);
  }

  function apply(event: EngineEvent): void {
    if (event.action === "destroy") forget(event.id);
    else if (readActions.has(event.action)) read(event.id).catch(() => undefined);
    if (event.timeNano > seenNano) seenNano = event.timeNano;
    received.add(eventKey(event));
    if (received.size > rememberedEvents) received.delete(received.values().next().value as string);
    for (const wake of waiters) wake();
  }

  /**
   * Lists what matches `query` and reads each container, skipping one an event already read
   * more recently; a matching container the list no longer shows is dropped unless it was
   * read after the list began. Rejects with the first failure.
   */
  async function readMatching(query: ContainerQuery, signal?: AbortSignal): Promise<void> {
    const listedAt = reads;
    const listed = await engine.containers.list({ ...query, all: true }, signal);
    const failure = await runBounded(listed, concurrency, async (c) => {
      if ((readNumbers.get(c.id) ?? 0) <= listedAt) await read(c.id);
      // A read begun after the list is newer; the caller still finds its answer in the store.
      else await pending.get(c.id)?.catch(() => undefined);
    });
    if (failure) throw failure;
    const present = new Set(listed.map((c) => c.id));
    for (const [id, c] of held) {
      if (
        !present.has(id) &&
        (readNumbers.get(id) ?? 0) <= listedAt &&
        matchesContainerQuery(c, { ...query, all: true })
      )
        forget(id);
    }
  }

  let retry: NodeJS.Timeout | undefined;
  function scheduleRebuild(): void {
    if (retry || stop.signal.aborted) return;
    retry = setTimeout(() => {
      retry = undefined;
      void rebuild().catch(() => undefined);
    }, 1000);
    retry.unref();
  }

  function rebuild(): Promise<void> {
    if (stop.signal.aborted) return Promise.resolve();
    rebuilding ??= (async () => {
      trusted = false;
      try {
        await readMatching({ all: true }, stop.signal);
        await settled();
        trusted = !stop.signal.aborted && options.reachability?.current() !== "NOT_SERVING";
      } finally {
        rebuilding = undefined;
      }
    })();
    return rebuilding;
  }

  /**
   * Events the engine logged before the subscription never come down the stream; the list
   * that follows shows what they did. They count as received, so lists do not wait for them.
   */
  async function coverEarlierEvents(): Promise<void> {
    if (!options.answersLists) return;
    const since = BigInt(Date.now() - 5000) * 1_000_000n;
    const earlier = await events.logged({
      since,
      until: new Date(),
      filters: { types: ["container"] },
      signal: stop.signal,
    });
    if (since > seenNano) seenNano = since;
    for (const event of earlier) {
      received.add(eventKey(event));
      if (event.timeNano > seenNano) seenNano = event.timeNano;
    }
  }

  async function follow(built: () => void): Promise<void> {
    while (!stop.signal.aborted) {
      try {
        for await (const item of events.watch({ filters: { types: ["container"] }, signal: stop.signal })) {
          if (item.kind === "event") {
            apply(item.event);
            continue;
          }
          // Subscribed first (connected), then listed: nothing in between is missed. After a
          // gap in the stream (resynced) the list shows what the missed events did.
          if (item.kind === "resynced")
            logger.info({ reason: item.reason }, "engine event stream resumed: rebuilding the container store");
          trusted = false;
          if (item.kind === "connected") await coverEarlierEvents().catch(() => undefined);
          await rebuild().catch((err: unknown) =>
            logger.warn({ err }, "container store: rebuild failed; it is not trusted until the next one succeeds"),
          );
          built();
        }
      } catch (err) {
        trusted = false;
        built();
        if (stop.signal.aborted) return;
        logger.debug({ err }, "engine events unavailable; retrying");
        await sleep(1000, stop.signal).catch(() => undefined);
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

  /** Whether the store holds what the engine would list now, after applying what the engine logged. */
  async function answerFor(signal: AbortSignal | undefined): Promise<ListAnswer> {
    if (!trusted || options.reachability?.current() === "NOT_SERVING") return "building";
    let logged;
    try {
      logged = await events.logged({ since: seenNano, until: new Date(), filters: { types: ["container"] }, signal });
    } catch {
      return "event_log_failed";
    }
    if (!(await caughtUp(logged.map(eventKey), signal))) return "catch_up_timeout";
    await settled();
    return trusted ? "cache" : "building";
  }

  const unsubscribeReachability = options.reachability?.subscribe((state) => {
    if (state === "NOT_SERVING") distrust("the engine does not answer");
    else void rebuild().catch(() => undefined);
  });

  return {
    start() {
      started ??= new Promise<void>((resolve) => void follow(resolve));
      return started;
    },
    close() {
      stop.abort();
      clearTimeout(retry);
      unsubscribeReachability?.();
      trusted = false;
      listeners.clear();
    },
    isTrusted: () => trusted && options.reachability?.current() !== "NOT_SERVING",
    async ensureTrusted() {
      if (options.reachability?.current() === "NOT_SERVING") trusted = false;
      if (trusted) return;
      try {
        await rebuild();
      } catch (err) {
        if (isDockhandError(err, "Unavailable")) throw err;
        throw new DockhandError("Unavailable", `the container store could not be rebuilt: ${(err as Error).message}`, {
          cause: err,
        });
      }
      if (!trusted) throw new DockhandError("Unavailable", "the Docker engine does not answer");
    },
    containers: () => held.values(),
    refresh: (id) => read(id),
    refreshMatching: (query) => readMatching(query),
    dropRemoved: (id) => forget(id),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async list(query, signal) {
      if (!options.answersLists) return undefined;
      const answer = await answerFor(signal);
      onList(answer);
      if (answer !== "cache") return undefined;
      const now = Date.now();
      const found: ContainerDetails[] = [];
      for (const c of held.values()) if (matchesContainerQuery(c, query)) found.push(c);
      // Newest first by the precise creation time, as the engine lists them.
      found.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a.id.localeCompare(b.id));
      return found.map((c) => toSummary(c, now));
    },
  };
}

/** `engine` with its container list answered by `store` whenever the store can vouch for it. */
export function withStoreLists<E extends Pick<Engine, "containers">>(
  engine: E,
  store: Pick<ContainerStore, "list">,
): E {
  return {
    ...engine,
    containers: {
      ...engine.containers,
      list: async (query: ContainerQuery, signal?: AbortSignal) =>
        (await store.list(query, signal)) ?? engine.containers.list(query, signal),
    },
  };
}
