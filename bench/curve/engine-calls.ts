/**
 * The engine calls dockhand made, by operation, from its /metrics
 * (dockhand_engine_call_duration_seconds_count): what a piece of work cost the engine, to set
 * beside what the raw baseline called for the same work.
 */
export type EngineCalls = Map<string, number>;

export async function engineCalls(url: string): Promise<EngineCalls> {
  const text = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) }).then((res) => res.text());
  const calls: EngineCalls = new Map();
  for (const line of text.split("\n")) {
    if (!line.startsWith("dockhand_engine_call_duration_seconds_count{")) continue;
    const operation = /operation="([^"]*)"/.exec(line)?.[1] ?? "?";
    calls.set(operation, (calls.get(operation) ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1)));
  }
  return calls;
}

/** Calls made between two readings, per unit of work (per container, per call ...). */
export function callsPer(
  before: EngineCalls,
  after: EngineCalls,
  units: number,
): { total: number; byOperation: Record<string, number> } {
  const byOperation: Record<string, number> = {};
  let total = 0;
  for (const [operation, count] of after) {
    const made = count - (before.get(operation) ?? 0);
    if (made <= 0) continue;
    byOperation[operation] = Math.round((made / units) * 100) / 100;
    total += made;
  }
  return { total: Math.round((total / units) * 100) / 100, byOperation };
}

export const describeCalls = (calls: ReturnType<typeof callsPer>) =>
  `${calls.total} (${Object.entries(calls.byOperation)
    .sort((a, b) => b[1] - a[1])
    .map(([op, n]) => `${op} ${n}`)
    .join(", ")})`;
