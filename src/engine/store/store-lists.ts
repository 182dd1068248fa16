import { containerStatusText } from "../container-status-text.js";
import { matchesContainerQuery } from "../container-query.js";
import type { Engine } from "../engine.js";
import type { ContainerDetails, ContainerQuery, ContainerSummary } from "../types.js";
import type { EventPosition } from "./event-position.js";

/**
 * How a list was answered: `cache` (by the store), or why the engine's list had to answer it
 * instead: the store is being built (or rebuilt after a failed read or a lost event stream),
 * the engine's event log could not be read, events it showed were not applied in time, or the
 * store does not answer lists for this engine.
 */
export type ListAnswer = "cache" | "building" | "event_log_failed" | "catch_up_timeout";

/** What the list answers need of the store. */
export interface ListSource {
  isTrusted(): boolean;
  position: EventPosition;
  /** Applies every event received so far (reads under way, held back ones), and resolves when done. */
  applied(): Promise<void>;
  containers(): Iterable<ContainerDetails>;
}

/**
 * Container lists answered from the store, but only when it can vouch for them: it is trusted,
 * and every event the engine's log shows since the newest one received has been received and
 * applied (waiting up to `catchUpMs` for those still on their way).
 */
export function createStoreLists(
  source: ListSource,
  options: { catchUpMs: number; onList: (answer: ListAnswer) => void },
): (query: ContainerQuery, signal?: AbortSignal) => Promise<ContainerSummary[] | undefined> {
  async function answerFor(signal: AbortSignal | undefined): Promise<ListAnswer> {
    if (!source.isTrusted()) return "building";
    let logged;
    try {
      logged = await source.position.loggedSince(signal);
    } catch {
      return "event_log_failed";
    }
    if (!(await source.position.caughtUp(logged, options.catchUpMs, signal))) return "catch_up_timeout";
    await source.applied();
    return source.isTrusted() ? "cache" : "building";
  }

  return async (query, signal) => {
    const answer = await answerFor(signal);
    options.onList(answer);
    if (answer !== "cache") return undefined;
    const now = Date.now();
    const found: ContainerDetails[] = [];
    for (const c of source.containers()) if (matchesContainerQuery(c, query)) found.push(c);
    // Newest first by the precise creation time, as the engine lists them.
    found.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a.id.localeCompare(b.id));
    return found.map((c) => toSummary(c, now));
  };
}

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

/**
 * `engine` with its container list answered by `store` whenever the store can vouch for it.
 * The caller gets the engine's own list otherwise: either way, what the engine holds now.
 */
export function withStoreLists<E extends Pick<Engine, "containers">>(
  engine: E,
  store: { list(query: ContainerQuery, signal?: AbortSignal): Promise<ContainerSummary[] | undefined> },
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
