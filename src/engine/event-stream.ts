import type { HealthName } from "./types.js";

export type EngineEventType = "container" | "image";

/** One container or image event, as the engine reported it. */
export interface EngineEvent {
  type: EngineEventType;
  /**
   * What happened: create, start, restart, die, oom, kill, stop, pause, unpause, destroy,
   * health_status, exec_start ... for containers; pull, delete, tag, untag, import, load ...
   * for images. The engine's `health_status: healthy` becomes action `health_status` with
   * `health` set and the part after the colon in `detail`.
   */
  action: string;
  /** What the engine wrote after `<action>: `, e.g. the command of exec_start; "" if nothing. */
  detail: string;
  /** Container id, or image id or reference. */
  id: string;
  /** The engine's actor attributes: the container's labels plus name, image, exitCode ... */
  attributes: Record<string, string>;
  time: Date;
  /** Nanoseconds since the epoch; the engine's exact clock, used to resume after a gap. */
  timeNano: bigint;
  /** Set on `die`. */
  exitCode?: number;
  /** Set on `health_status`. */
  health?: HealthName;
}

/** Filters applied by the engine; within one field any entry matches, across fields all must. */
export interface EventFilters {
  /** Default: container and image. */
  types?: EngineEventType[];
  /** Container ids or names. */
  containers?: string[];
  /** Image ids or references. */
  images?: string[];
  /** Each `key` (label present) or `key=value`. */
  labels?: string[];
  /** Actions, e.g. `start`, `die`, `health_status`. */
  actions?: string[];
}

/**
 * What an event stream yields. `connected` comes once, when the engine accepted the stream:
 * every later event is seen. `resynced` comes after the stream was lost (engine restart,
 * socket error) and opened again with `since` set to the last event seen, so the events that
 * follow include the replayed gap; a consumer holding derived state should rebuild it.
 */
export type EngineEventItem =
  | { kind: "event"; event: EngineEvent }
  | { kind: "connected" }
  | { kind: "resynced"; lostAt: Date; reason: string; since: Date | undefined };

export interface WatchEventsOptions {
  filters?: EventFilters;
  /** Replay events from this time before following. Default: only new events. */
  since?: Date;
  /** Ends the stream (quietly) and closes its engine connection. */
  signal?: AbortSignal;
}

export interface EngineEvents {
  /**
   * Follows the engine's events until `signal` aborts or the consumer stops iterating. The
   * first connection failing throws (Unavailable when the engine is unreachable); after that,
   * the stream reconnects with backoff for as long as the engine is unreachable.
   */
  watch(options: WatchEventsOptions): AsyncIterable<EngineEventItem>;
}

export interface EngineEventLog {
  /**
   * The events the engine has already logged from `since` (inclusive, the engine's clock in
   * nanoseconds) until `until`, without following: what a consumer of `watch` compares
   * with what it received, to know it has seen everything up to now.
   */
  logged(options: LoggedEventsOptions): Promise<EngineEvent[]>;
}

export interface LoggedEventsOptions {
  since: bigint;
  until: Date;
  filters?: EventFilters;
  signal?: AbortSignal;
}

/** Identifies an event across a replay, which repeats the events of the resumed instant. */
export function eventKey(event: EngineEvent): string {
  return `${event.timeNano}|${event.type}|${event.action}|${event.detail}|${event.id}`;
}
