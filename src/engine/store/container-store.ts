import type { Logger } from "pino";
import { DockhandError, isDockhandError } from "../../model/dockhand-error.js";
import { runBounded } from "../../lib/bounded.js";
import { sleep } from "../../lib/sleep.js";
import type { Engine } from "../engine.js";
import { matchesContainerQuery } from "../container-query.js";
import type { EngineEvent, EngineEventLog, EngineEvents } from "../event-stream.js";
import type { ContainerDetails, ContainerQuery, ContainerSummary } from "../types.js";
import { createClaimedChanges, type ClaimOutcome } from "./claimed-changes.js";
import { createEventPosition } from "./event-position.js";
import { createOrderedReads } from "./ordered-reads.js";
import { createStoreLists, type ListAnswer } from "./store-lists.js";

export { withStoreLists, type ListAnswer } from "./store-lists.js";
export type { ClaimOutcome } from "./claimed-changes.js";

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
   * The same clock lets an event be skipped when a read of its container began after it.
   */
  answersLists?: boolean;
  /** How long a list waits for events the engine logged but the stream has not yet brought. Default 100 ms. */
  catchUpMs?: number;
  /** Told how each list was answered: by the store, or why it could not be. */
  onList?: (answer: ListAnswer) => void;
}

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
 * It is put together from parts that each do one job: racing reads of a container are ordered
 * by ordered-reads.ts (only the newest read's answer is kept; a `destroy` event makes every read
 * under way stale); how far the event stream has come is event-position.ts; the containers
 * dockhand itself is changing are claimed-changes.ts; and lists answered for the engine are
 * store-lists.ts. A caller sees which it gets: `containers()` is what the store holds, trusted
 * or not; `list` answers only when the store can vouch for the engine's answer.
 *
 * The store is trusted once a full list has been read after subscribing, and until a read
 * fails, the event stream breaks or the engine stops answering.
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
  /**
   * Claims a container name while dockhand creates, starts, stops or removes it: its events are
   * not read one by one meanwhile. End the claim (the function returned) after `dropRemoved`, or
   * after a `refresh` begun once the actions it `covers` were done (then their events, held
   * back or still to come, need no read); what else was held back is read then.
   */
  claim(name: string): (outcome?: ClaimOutcome) => Promise<void>;
  /** Called for each container read, changed or removed. */
  onChange(listener: (change: ContainerChange) => void): () => void;
  /** What the engine's list would answer now; undefined when the store cannot vouch for it. */
  list(query: ContainerQuery, signal?: AbortSignal): Promise<ContainerSummary[] | undefined>;
}

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

export function createContainerStore(options: ContainerStoreOptions): ContainerStore {
  const { engine, events, logger } = options;
  const concurrency = options.concurrency ?? 8;
  const sameClock = options.answersLists === true;
  const held = new Map<string, ContainerDetails>();
  const listeners = new Set<(change: ContainerChange) => void>();
  const stop = new AbortController();
  let trusted = false;
  let started: Promise<void> | undefined;
  let rebuilding: Promise<void> | undefined;
  const position = createEventPosition(events);
  const claims = createClaimedChanges();
  const reads = createOrderedReads({
    inspect: (id) => engine.containers.inspect(id),
    keep: put,
    failed(err) {
      distrust("a container could not be read", err);
      scheduleRebuild();
    },
  });

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

  /** A read that begins now: it covers every event of the container received so far. */
  function read(id: string): Promise<void> {
    claims.caughtUp(id);
    return reads.read(id);
  }

  /** The container is gone: dropped now, and every read of it still under way made stale. */
  function forget(id: string): void {
    reads.forget(id);
    put(id, undefined);
  }

  /** A read that began after the event (same clock) already shows what it did. */
  const coveredByRead = (event: EngineEvent) => sameClock && reads.beganAt(event.id) > event.timeNano;

  function apply(event: EngineEvent): void {
    if (event.action === "destroy") {
      claims.destroyed(event.id);
      forget(event.id);
    } else if (
      readActions.has(event.action) &&
      !claims.isRemoved(event.id) &&
      !claims.arrivedAsExpected(event) &&
      !claims.holdBack(event) &&
      !coveredByRead(event)
    ) {
      read(event.id).catch(() => undefined);
    }
    position.received(event);
  }

  /** Every event received so far applied: held-back ones read, reads under way ended. */
  async function applied(): Promise<void> {
    await Promise.allSettled([...claims.heldBack().keys()].map((id) => read(id)));
    await reads.settled();
  }

  /**
   * Lists what matches `query` and reads each container, skipping one an event already read
   * more recently; a matching container the list no longer shows is dropped unless it was
   * read after the list began. Rejects with the first failure.
   */
  async function readMatching(query: ContainerQuery, signal?: AbortSignal): Promise<void> {
    const listedAt = reads.mark();
    const listed = await engine.containers.list({ ...query, all: true }, signal);
    const failure = await runBounded(listed, concurrency, async (c) => {
      if (reads.numberOf(c.id) <= listedAt) await read(c.id);
      // A read begun after the list is newer; the caller still finds its answer in the store.
      else await reads.underWay(c.id)?.catch(() => undefined);
    });
    if (failure) throw failure;
    const present = new Set(listed.map((c) => c.id));
    for (const [id, c] of held) {
      if (!present.has(id) && reads.numberOf(id) <= listedAt && matchesContainerQuery(c, { ...query, all: true }))
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
        await applied();
        trusted = !stop.signal.aborted && options.reachability?.current() !== "NOT_SERVING";
      } finally {
        rebuilding = undefined;
      }
    })();
    return rebuilding;
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
          // Events a claim expected may have fallen into the gap; the rebuild reads every container.
          claims.reset();
          if (item.kind === "connected" && options.answersLists)
            await position.coverEarlier(stop.signal).catch(() => undefined);
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

  const isTrusted = () => trusted && options.reachability?.current() !== "NOT_SERVING";
  const list = createStoreLists(
    { isTrusted, position, applied, containers: () => held.values() },
    { catchUpMs: options.catchUpMs ?? 100, onList: options.onList ?? (() => undefined) },
  );

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
    isTrusted,
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
    dropRemoved(id) {
      claims.removed(id);
      forget(id);
    },
    claim(name) {
      const release = claims.claim(name);
      return async (outcome) => {
        const pendingReads = [...release(outcome)]
          .filter(([id, timeNano]) => !(sameClock && reads.beganAt(id) > timeNano))
          .map(([id]) => read(id).catch(() => undefined));
        await Promise.all(pendingReads);
      };
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async list(query, signal) {
      if (!options.answersLists) return undefined;
      return list(query, signal);
    },
  };
}
