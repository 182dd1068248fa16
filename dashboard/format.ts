import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { ContainerState, HealthStatus, type ContainerStatus } from "../gen/dockhand/v1/scaler_pb.js";
import { UpdateState } from "../gen/dockhand/v1/service_pb.js";

export function stateName(state: ContainerState): string {
  return state === ContainerState.UNSPECIFIED ? "unknown" : ContainerState[state].toLowerCase();
}

export function healthName(health: HealthStatus): string {
  return health === HealthStatus.UNSPECIFIED ? "—" : HealthStatus[health].toLowerCase();
}

export function updateName(state: UpdateState): string {
  return state === UpdateState.UNSPECIFIED ? "—" : UpdateState[state].toLowerCase().replace("_", " ");
}

/**
 * A listed container's health. The list call (the basic view: one engine call for every
 * container) leaves `health` unset; the engine's status text carries it, as `docker ps` shows.
 */
export function listedHealth(c: { health: HealthStatus; status: string }): HealthStatus {
  if (c.health !== HealthStatus.UNSPECIFIED) return c.health;
  if (c.status.includes("(healthy)")) return HealthStatus.HEALTHY;
  if (c.status.includes("(unhealthy)")) return HealthStatus.UNHEALTHY;
  if (c.status.includes("(health: starting)")) return HealthStatus.STARTING;
  return HealthStatus.UNSPECIFIED;
}

/** Running, and healthy or without a healthcheck. */
export function isReady(c: ContainerStatus): boolean {
  return (
    c.state === ContainerState.RUNNING && (c.health === HealthStatus.HEALTHY || c.health === HealthStatus.UNSPECIFIED)
  );
}

export function bytes(n: bigint | number): string {
  let value = Number(n);
  for (const unit of ["B", "KiB", "MiB", "GiB"]) {
    if (value < 1024 || unit === "GiB") return `${value.toFixed(unit === "B" ? 0 : 1)} ${unit}`;
    value /= 1024;
  }
  return `${value} B`;
}

export function time(t: Timestamp | undefined): string {
  if (!t) return "—";
  return new Date(Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6)).toLocaleTimeString();
}

/** Date and time, for what may be days old (time() shows the time of day only). */
export function timestampText(t: Timestamp | undefined): string {
  if (!t) return "—";
  return new Date(Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6)).toLocaleString();
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, "").slice(0, 12);
}

/** A line shortened to at most `max` characters for the page, marked where it was cut. */
export function shortLine(line: string, max: number): string {
  return line.length > max ? `${line.slice(0, max)} … (${line.length - max} more characters)` : line;
}

const conditionNames: Record<string, string> = {
  image_pull_failed: "Image cannot be pulled",
  create_refused: "Create refused",
  start_failed: "Start refused",
  port_taken: "Port taken",
  waiting_on_secret: "Waiting on a secret or config",
  crash_looping: "Crash-looping",
  unhealthy: "Unhealthy",
  rollout_paused: "Rollout paused",
  task_failed: "Task failed",
};

/** A condition's type for a person; an unknown type as it is. */
export function conditionName(type: string): string {
  return conditionNames[type] ?? type;
}
