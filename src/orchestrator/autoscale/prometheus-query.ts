import type { Measurement } from "./target-value.js";

const queryTimeoutMs = 5000;

interface QueryAnswer {
  status?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

/** The first sample's value of an instant vector, or a scalar's. */
function firstValue(data: QueryAnswer["data"]): number | undefined {
  const result = data?.result;
  if (data?.resultType === "scalar" && Array.isArray(result)) return Number(result[1]);
  if (data?.resultType === "vector" && Array.isArray(result) && result.length > 0) {
    const value = (result[0] as { value?: [number, string] }).value;
    return value ? Number(value[1]) : undefined;
  }
  return undefined;
}

/** Asks Prometheus's HTTP API (`/api/v1/query`) for the query's value now. */
export async function queryPrometheus(baseUrl: string, query: string): Promise<Measurement> {
  const failed = (why: string): Measurement => ({ kind: "missing", outcome: "query_failed", why });
  let answer: QueryAnswer;
  try {
    const response = await fetch(`${baseUrl}/api/v1/query`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ query }).toString(),
      signal: AbortSignal.timeout(queryTimeoutMs),
    });
    answer = (await response.json().catch(() => ({}))) as QueryAnswer;
    if (!response.ok || answer.status !== "success")
      return failed(`Prometheus answered ${response.status}: ${(answer.error ?? "no error text").slice(0, 200)}`);
  } catch (err) {
    return failed(`Prometheus at ${baseUrl} could not be asked: ${(err as Error).message}`);
  }
  const value = firstValue(answer.data);
  if (value === undefined) return failed("the query returned no sample");
  if (!Number.isFinite(value) || value < 0) return failed(`the query returned ${value}, not a number 0 or above`);
  return { kind: "value", value, samples: 0 };
}
