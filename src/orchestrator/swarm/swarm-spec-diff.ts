import type { SwarmServiceSpec } from "../../engine/swarm.js";
import { definitionLabel } from "../../model/ownership-labels.js";

/** Labels without the definition version: a Swarm rollback returns the old label, yet the same content. */
function withoutVersion(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(labels)
      .filter(([key]) => key !== definitionLabel)
      .sort(),
  );
}

/** One field of a spec as comparable text: keys sorted at every level, since a spec read back from Swarm lists its fields in another order. */
function comparable(field: keyof SwarmServiceSpec, spec: SwarmServiceSpec): string | undefined {
  const value =
    field === "labels" || field === "containerLabels"
      ? withoutVersion(spec[field])
      : field === "env"
        ? Object.entries(spec.env).sort()
        : spec[field];
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => a.localeCompare(b)))
      : inner,
  );
}

/** The fields in which two Swarm service specs differ, sorted; the definition-version label does not count. */
export function differingSpecFields(a: SwarmServiceSpec, b: SwarmServiceSpec): Array<keyof SwarmServiceSpec> {
  const fields = new Set([...Object.keys(a), ...Object.keys(b)] as Array<keyof SwarmServiceSpec>);
  return [...fields].filter((field) => comparable(field, a) !== comparable(field, b)).sort();
}
