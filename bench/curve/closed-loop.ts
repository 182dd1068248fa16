/**
 * A closed-loop load: `callers` loops each calling back to back for a fixed time, every
 * answer checked by the call itself. The same loop drives dockhand and its baseline.
 */
import { performance } from "node:perf_hooks";
import { percentile } from "../support.js";

export interface LoadResult {
  perSecond: number;
  /** Per-call latency, in ms. */
  latencies: number[];
}

/** `call(i)` gets a running call number, to spread calls over services. */
export async function closedLoop(
  call: (i: number) => Promise<unknown>,
  callers: number,
  durationMs: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  const until = started + durationMs;
  const loop = async () => {
    while (performance.now() < until) {
      const t0 = performance.now();
      await call(next++);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: callers }, loop));
  return { perSecond: latencies.length / ((performance.now() - started) / 1000), latencies };
}

export function describeLoad(name: string, result: LoadResult): string {
  const p = (q: number) => percentile(result.latencies, q).toFixed(2);
  return `${name}: ${Math.round(result.perSecond)} req/s, p50 ${p(50)} ms, p99 ${p(99)} ms (${result.latencies.length} calls)`;
}

/** Times one piece of work, in seconds. */
export async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}
