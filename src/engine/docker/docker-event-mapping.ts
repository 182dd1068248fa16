import type { EngineEvent, EventFilters } from "../event-stream.js";
import type { HealthName } from "../types.js";

interface DockerEventJson {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  id?: string;
  time?: number;
}

const healths = new Set<string>(["starting", "healthy", "unhealthy"]);

/**
 * Parses one line of the engine's /events stream; undefined for lines that are not a
 * container or image event. `timeNano` is read from the text because it does not fit in a
 * JavaScript number, and resuming needs it exact.
 */
export function parseDockerEvent(line: string): EngineEvent | undefined {
  let json: DockerEventJson;
  try {
    json = JSON.parse(line) as DockerEventJson;
  } catch {
    return undefined;
  }
  if (json.Type !== "container" && json.Type !== "image") return undefined;
  const raw = json.Action ?? "";
  const colon = raw.indexOf(":");
  const action = colon < 0 ? raw : raw.slice(0, colon);
  const detail = colon < 0 ? "" : raw.slice(colon + 1).trim();
  const nanoText = /"timeNano"\s*:\s*(\d+)/.exec(line)?.[1];
  const timeNano = nanoText ? BigInt(nanoText) : BigInt(json.time ?? 0) * 1_000_000_000n;
  const attributes = { ...(json.Actor?.Attributes ?? {}) };
  const event: EngineEvent = {
    type: json.Type,
    action,
    detail,
    id: json.Actor?.ID ?? json.id ?? "",
    attributes,
    time: new Date(Number(timeNano / 1_000_000n)),
    timeNano,
  };
  if (action === "die" && attributes.exitCode !== undefined) event.exitCode = Number(attributes.exitCode);
  if (action === "health_status" && healths.has(detail)) event.health = detail as HealthName;
  return event;
}

/** The engine's `since` parameter for a time in nanoseconds: `<seconds>.<nanoseconds>`. */
export function dockerSince(timeNano: bigint): string {
  const seconds = timeNano / 1_000_000_000n;
  const nanos = timeNano % 1_000_000_000n;
  return `${seconds}.${nanos.toString().padStart(9, "0")}`;
}

/** The engine's `filters` query value. */
export function dockerEventFilters(filters: EventFilters = {}): Record<string, string[]> {
  const out: Record<string, string[]> = { type: filters.types?.length ? filters.types : ["container", "image"] };
  if (filters.containers?.length) out.container = filters.containers;
  if (filters.images?.length) out.image = filters.images;
  if (filters.labels?.length) out.label = filters.labels;
  if (filters.actions?.length) out.event = filters.actions;
  return out;
}
