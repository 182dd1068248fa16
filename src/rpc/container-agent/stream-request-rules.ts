import { durationMs } from "@bufbuild/protobuf/wkt";
import type { ExecOptions, LogOptions } from "../../engine/container-streams.js";
import type { WatchEventsOptions } from "../../engine/event-stream.js";
import { invalidArgument } from "../../model/dockhand-error.js";
import { checkServiceName } from "../../model/definition-rules.js";
import { serviceLabel } from "../../model/ownership-labels.js";
import type { ExecRequest, StreamLogsRequest, StreamStatsRequest, WatchEventsRequest } from "../../../gen/dockhand/v1/agent_streams_pb.js";
import { checkContainerRef, labelFilters } from "./container-request-rules.js";
import { actionWords, eventTypeNames, nanoFromTimestamp, streamNames } from "./stream-mapping.js";
import { quote } from "../../model/quote.js";

export const minStatsIntervalMs = 1000;
export const maxStatsIntervalMs = 3_600_000;

function pick<K extends number, V>(values: readonly K[], names: Partial<Record<K, V>>, field: string): V[] {
  return values.map((value, i) => {
    const name = names[value];
    if (name === undefined) throw invalidArgument(`${field}[${i}]`, `${value} is not a valid value`);
    return name;
  });
}

/** StreamLogs' options, without the signal. */
export function logOptionsFromProto(req: StreamLogsRequest): Omit<LogOptions, "signal"> {
  if (req.tail !== undefined && req.tail < 0) throw invalidArgument("tail", `must not be negative (got ${req.tail})`);
  const sinceNano = req.since ? nanoFromTimestamp(req.since) : undefined;
  const untilNano = req.until ? nanoFromTimestamp(req.until) : undefined;
  if (sinceNano !== undefined && sinceNano < 0n) throw invalidArgument("since", "must not be before 1970");
  if (untilNano !== undefined && untilNano <= 0n) throw invalidArgument("until", "must be after 1970");
  if (sinceNano !== undefined && untilNano !== undefined && untilNano < sinceNano) {
    throw invalidArgument("until", "must not be before since");
  }
  const streams = new Set(pick(req.streams, streamNames, "streams"));
  const both = streams.size === 0;
  return {
    follow: req.follow,
    tail: req.tail,
    sinceNano,
    untilNano,
    timestamps: req.timestamps,
    stdout: both || streams.has("stdout"),
    stderr: both || streams.has("stderr"),
  };
}

/**
 * WatchEvents' engine filters, and the services to keep. The engine ANDs several label
 * filters, so services (any of them) are checked here, after the engine filtered on the
 * presence of the service label.
 */
export function eventWatchFromProto(req: WatchEventsRequest): { options: Omit<WatchEventsOptions, "signal">; services: Set<string> } {
  const types = pick(req.types, eventTypeNames, "types");
  req.containers.forEach((ref, i) => checkContainerRef(ref, `containers[${i}]`));
  req.services.forEach((name, i) => checkServiceName(name, `services[${i}]`));
  const labels = labelFilters(req.labels, "labels");
  if (req.services.length > 0) labels.push(serviceLabel);
  const actions = pick(req.actions, actionWords, "actions");
  const since = req.since ? nanoFromTimestamp(req.since) : undefined;
  if (since !== undefined && since < 0n) throw invalidArgument("since", "must not be before 1970");
  const containersOnly = req.services.length > 0 || req.containers.length > 0;
  if (containersOnly && types.length > 0 && !types.includes("container")) {
    throw invalidArgument("types", "the containers and services filters match container events only");
  }
  const filters = { types: containersOnly ? ["container" as const] : types, containers: req.containers, labels, actions };
  return {
    options: { filters, since: since === undefined ? undefined : new Date(Number(since / 1_000_000n)) },
    services: new Set(req.services),
  };
}

/** StreamStats' interval in ms: 1 second when unset. */
export function statsIntervalMs(req: StreamStatsRequest): number {
  if (!req.interval) return minStatsIntervalMs;
  const ms = durationMs(req.interval);
  if (!(ms >= minStatsIntervalMs && ms <= maxStatsIntervalMs)) {
    throw invalidArgument("interval", `must be between 1s and 3600s (got ${ms / 1000}s)`);
  }
  return ms;
}

/** Exec's options, without the signal. */
export function execOptionsFromProto(req: ExecRequest): Omit<ExecOptions, "signal"> {
  if (req.command.length === 0) throw invalidArgument("command", "is required");
  req.command.forEach((arg, i) => {
    if (arg.includes("\0")) throw invalidArgument(`command[${i}]`, "must not contain NUL");
  });
  if (req.command[0] === "") throw invalidArgument("command[0]", "must not be empty");
  for (const [key, value] of Object.entries(req.environment)) {
    if (key === "") throw invalidArgument("environment", "keys must not be empty");
    if (key.includes("=")) throw invalidArgument(`environment[${quote(key)}]`, "key must not contain '='");
    if (key.includes("\0") || value.includes("\0")) throw invalidArgument(`environment[${quote(key)}]`, "must not contain NUL");
  }
  if (req.workingDir !== "" && !req.workingDir.startsWith("/")) {
    throw invalidArgument("working_dir", `must be an absolute path (got ${quote(req.workingDir)})`);
  }
  if (req.workingDir.includes("\0")) throw invalidArgument("working_dir", "must not contain NUL");
  if (!/^[^:\s\0]*(:[^:\s\0]+)?$/.test(req.user)) {
    throw invalidArgument("user", `${quote(req.user)} is not a user: name, uid, name:group or uid:gid`);
  }
  let timeoutMs: number | undefined;
  if (req.timeout) {
    if (req.timeout.seconds < 0n || req.timeout.nanos < 0 || durationMs(req.timeout) <= 0) {
      throw invalidArgument("timeout", `must be positive (got ${req.timeout.seconds}s ${req.timeout.nanos}ns)`);
    }
    timeoutMs = durationMs(req.timeout);
  }
  return {
    command: req.command,
    env: req.environment,
    workingDir: req.workingDir || undefined,
    user: req.user || undefined,
    timeoutMs,
  };
}
