/**
 * How every ContainerAgent group (and the seeds' compatibility routes) names containers and
 * filters by label: checked here once, since the values end up in engine URLs and filters.
 */
import { invalidArgument } from "../../model/dockhand-error.js";
import { quote } from "../../model/quote.js";

/**
 * An id, id prefix or name. Stricter than the engine needs on purpose: the value becomes part
 * of an engine URL path, so `/`, `?` or `..` must never get through.
 */
const containerRefPattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/;

/** The engine's own rule for container names. */
const containerNamePattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,127}$/;

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

/** Each entry `key` or `key=value`, as the engine's label filter takes them. */
export function labelFilters(selector: readonly string[], field = "label_selector"): string[] {
  return selector.map((entry, i) => {
    const key = entry.split("=", 1)[0] ?? "";
    if (key.trim() === "")
      throw invalidArgument(`${field}[${i}]`, `${quote(entry)} needs a label key: "key" or "key=value"`);
    if (entry.includes("\0")) throw invalidArgument(`${field}[${i}]`, "must not contain NUL");
    return entry;
  });
}
