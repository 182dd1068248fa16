import type { IncomingMessage } from "node:http";
import type Docker from "dockerode";
import { isDockhandError, type DockhandError } from "../../model/dockhand-error.js";
import type { EngineCall } from "./docker-deadline.js";
import { toEngineError } from "./docker-errors.js";
import { dockerEventFilters, dockerSince, parseDockerEvent } from "./docker-event-mapping.js";
import {
  eventKey,
  type EngineEvent,
  type EngineEventItem,
  type EngineEventLog,
  type EngineEvents,
  type LoggedEventsOptions,
  type WatchEventsOptions,
} from "../event-stream.js";
import { readLines } from "../line-buffer.js";
import { abortable } from "../abortable-iterable.js";
import { sleep } from "../../lib/sleep.js";

export interface DockerEventStreamOptions {
  /** First wait before reconnecting a lost stream, in ms; doubles per failed attempt. Default 100. */
  initialBackoffMs?: number;
  /** Longest wait between reconnection attempts, in ms. Default 2000. */
  maxBackoffMs?: number;
}

/** Events remembered to drop the repeats of a replay; far more than one instant holds. */
const rememberedEvents = 512;

/** Reconnect after what a daemon restart looks like; give up on what retrying cannot fix. */
function retryable(err: DockhandError): boolean {
  return isDockhandError(err, "Unavailable") || isDockhandError(err, "Internal");
}

/**
 * Container and image events from the engine's /events, surviving engine restarts; the log of
 * past events is read through `call`, under the default deadline.
 */
export function createDockerEventStream(
  docker: Docker,
  call: EngineCall,
  options: DockerEventStreamOptions = {},
): EngineEvents & EngineEventLog {
  const initialBackoff = options.initialBackoffMs ?? 100;
  const maxBackoff = options.maxBackoffMs ?? 2000;

  async function open(
    filters: Record<string, string[]>,
    since: string | undefined,
    signal: AbortSignal,
    until?: string,
  ): Promise<IncomingMessage> {
    try {
      // The typings want `since` as a number; the engine takes `<seconds>.<nanoseconds>`.
      const getEvents = docker.getEvents.bind(docker) as (query: object) => Promise<unknown>;
      return (await getEvents({
        filters,
        ...(since ? { since } : {}),
        ...(until ? { until } : {}),
        abortSignal: signal,
      })) as IncomingMessage;
    } catch (err) {
      throw toEngineError(err, "watch engine events");
    }
  }

  async function* follow(watch: WatchEventsOptions, signal: AbortSignal): AsyncGenerator<EngineEventItem> {
    const filters = dockerEventFilters(watch.filters);
    const seen = new Set<string>();
    let sinceNano = watch.since ? BigInt(watch.since.getTime()) * 1_000_000n : undefined;
    let lost: { at: Date; reason: string } | undefined;
    let failures = 0;
    while (!signal.aborted) {
      // Backs off also when a stream ends at once, as it can while the daemon shuts down.
      if (lost) await sleep(Math.min(maxBackoff, initialBackoff * 2 ** failures++), signal);
      if (signal.aborted) return;
      let response: IncomingMessage;
      try {
        response = await open(filters, sinceNano === undefined ? undefined : dockerSince(sinceNano), signal);
      } catch (err) {
        const engineError = err as DockhandError;
        if (signal.aborted) return;
        if (!lost || !retryable(engineError)) throw engineError;
        continue;
      }
      // Resuming needs a start even when no event came: the engine's own clock, from its Date header.
      sinceNano ??= BigInt(Date.parse(response.headers.date ?? "") || Date.now()) * 1_000_000n;
      try {
        yield lost
          ? { kind: "resynced", lostAt: lost.at, reason: lost.reason, since: new Date(Number(sinceNano / 1_000_000n)) }
          : { kind: "connected" };
        for await (const line of readLines(response)) {
          if (signal.aborted) return;
          const event = parseDockerEvent(line);
          if (!event) continue;
          failures = 0;
          const key = eventKey(event);
          if (seen.has(key)) continue;
          seen.add(key);
          if (seen.size > rememberedEvents) seen.delete(seen.values().next().value as string);
          sinceNano = event.timeNano;
          yield { kind: "event", event };
        }
        lost = { at: new Date(), reason: "the engine ended the event stream" };
      } catch (err) {
        if (signal.aborted) return;
        lost = { at: new Date(), reason: toEngineError(err, "watch engine events").message };
      } finally {
        // Closes the socket: a response stream is never handed back to the keep-alive pool.
        response.destroy();
      }
    }
  }

  /** With `until` in the past the engine answers from its log of recent events and ends the response. */
  function loggedEvents(options: LoggedEventsOptions): Promise<EngineEvent[]> {
    return call("read logged engine events", options.signal, async (signal) => {
      const until = dockerSince(BigInt(options.until.getTime()) * 1_000_000n);
      const response = await open(dockerEventFilters(options.filters), dockerSince(options.since), signal, until);
      const found: EngineEvent[] = [];
      try {
        for await (const line of readLines(response)) {
          const event = parseDockerEvent(line);
          if (event) found.push(event);
        }
      } finally {
        response.destroy();
      }
      return found;
    });
  }

  return {
    watch: (watch) => abortable(watch.signal, (signal) => follow(watch, signal)),
    logged: loggedEvents,
  };
}
