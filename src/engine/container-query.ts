import type { ContainerQuery, ContainerSummary } from "./types.js";

/** Whether `labels` pass every filter: `key` (present, any value) or `key=value` (split at the first `=`). */
export function matchesLabelFilters(labels: Record<string, string>, filters: readonly string[] = []): boolean {
  return filters.every((filter) => {
    const at = filter.indexOf("=");
    return at < 0 ? filter in labels : labels[filter.slice(0, at)] === filter.slice(at + 1);
  });
}

/** Whether the engine's container list, asked `query`, includes `container`. */
export function matchesContainerQuery(
  container: Pick<ContainerSummary, "state" | "name" | "labels">,
  query: ContainerQuery,
): boolean {
  // The engine's "running" list holds every container whose process runs, paused or not.
  if (!query.all && container.state !== "running" && container.state !== "paused" && container.state !== "restarting")
    return false;
  if (query.name && !container.name.includes(query.name)) return false;
  return matchesLabelFilters(container.labels, query.labels);
}
