import { durationMs, type Duration } from "@bufbuild/protobuf/wkt";
import { invalidArgument } from "../../model/dockhand-error.js";
import { maxStopGraceSeconds } from "../../model/definition-rules.js";
import { normalizeSignal } from "../../model/linux-names.js";
import { quote } from "../../model/quote.js";

/**
 * An id, id prefix or name. Stricter than the engine needs on purpose: the value becomes part
 * of an engine URL path, so `/`, `?` or `..` must never get through.
 */
const containerRefPattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/;

/** The engine's own rule for container names. */
export const containerNamePattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,127}$/;

export function checkContainerRef(ref: string, field = "id"): string {
  if (ref === "") throw invalidArgument(field, "is required");
  if (!containerRefPattern.test(ref)) {
    throw invalidArgument(field, `${quote(ref)} is not a container id or name (letters, digits, '_', '.', '-')`);
  }
  return ref;
}

export function checkContainerName(name: string, field: string): void {
  if (name !== "" && !containerNamePattern.test(name)) {
    throw invalidArgument(
      field,
      `${quote(name)} is not a valid container name: 2-128 letters, digits, '_', '.' or '-', starting with a letter or digit`,
    );
  }
}

function nonNegativeMs(duration: Duration, field: string): number {
  // Checked on the fields: durationMs rounds a few negative nanoseconds to 0.
  if (duration.seconds < 0n || duration.nanos < 0) {
    throw invalidArgument(field, `must not be negative (got ${duration.seconds}s ${duration.nanos}ns)`);
  }
  return durationMs(duration);
}

/** A stop grace period in whole seconds (rounded up, as the engine counts); undefined when unset. */
export function graceSeconds(duration: Duration | undefined, field = "grace_period"): number | undefined {
  if (!duration) return undefined;
  const seconds = Math.ceil(nonNegativeMs(duration, field) / 1000);
  if (seconds > maxStopGraceSeconds) {
    throw invalidArgument(field, `must be at most ${maxStopGraceSeconds}s (got ${seconds}s)`);
  }
  return seconds;
}

/** A timeout in ms; undefined when unset. */
export function timeoutMs(duration: Duration | undefined, field = "timeout"): number | undefined {
  return duration ? nonNegativeMs(duration, field) : undefined;
}

/** The signal to send; SIGKILL when empty. */
export function killSignal(raw: string, field = "signal"): string {
  if (raw === "") return "SIGKILL";
  const signal = normalizeSignal(raw);
  if (!signal) {
    throw invalidArgument(field, `${quote(raw)} is not a Linux signal (a name such as SIGTERM or HUP, or a number from 1 to 64)`);
  }
  return signal;
}

/** Each entry `key` or `key=value`, as the engine's label filter takes them. */
export function labelFilters(selector: readonly string[], field = "label_selector"): string[] {
  return selector.map((entry, i) => {
    const key = entry.split("=", 1)[0] ?? "";
    if (key.trim() === "") throw invalidArgument(`${field}[${i}]`, `${quote(entry)} needs a label key: "key" or "key=value"`);
    if (entry.includes("\0")) throw invalidArgument(`${field}[${i}]`, "must not contain NUL");
    return entry;
  });
}
