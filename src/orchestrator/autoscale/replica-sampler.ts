import type { ContainerStreams, StatsSample } from "../../engine/container-streams.js";
import type { ServiceDefinition } from "../../model/service-definition.js";
import type { ServiceStatusView } from "../service-status.js";
import type { Measurement } from "./target-value.js";

/** How long one replica's sample may take: the engine measures once a second. */
const sampleTimeoutMs = 5000;

async function firstSample(streams: Pick<ContainerStreams, "stats">, id: string): Promise<StatsSample | undefined> {
  const signal = AbortSignal.timeout(sampleTimeoutMs);
  try {
    for await (const sample of streams.stats(id, { intervalMs: 1000, signal })) return sample;
  } catch {
    // A replica that stopped, or that runs on another node, is not measured.
  }
  return undefined;
}

/**
 * The average CPU or memory use of a service's running replicas, from the engine's own stats:
 * CPU in % of a replica's CPU limit (of one core without one), memory in % of its memory limit
 * (the engine's, which is the host's memory without one). A replica this engine cannot reach
 * (on Swarm, one on another node) is left out, and the note says so.
 */
export async function sampleReplicas(
  streams: Pick<ContainerStreams, "stats">,
  view: ServiceStatusView,
  def: ServiceDefinition,
  metric: "cpu_percent" | "memory_percent",
): Promise<Measurement> {
  const running = view.containers.filter((c) => c.state === "running");
  if (running.length === 0) return { kind: "missing", outcome: "no_samples", why: "no replica is running to measure" };
  const samples = (await Promise.all(running.map((c) => firstSample(streams, c.id)))).filter(
    (s): s is StatsSample => s !== undefined,
  );
  const remote = running.filter((c) => c.node !== undefined).length;
  const outOfReach =
    remote > 0
      ? "on Swarm, CPU and memory of replicas on other nodes are out of dockhand's reach so far (only its own node's are sampled)"
      : "the others stopped or could not be read";
  if (samples.length === 0) {
    return {
      kind: "missing",
      outcome: "no_samples",
      why: `no samples from ${running.length} running replica${running.length === 1 ? "" : "s"}: ${outOfReach}`,
    };
  }
  // A replica cannot use more than its limit over time: a one-second sample above it is the
  // CFS period's jitter, and taken as it is it would scale up a load that sits at the target.
  const ofLimit = (percent: number, limited: boolean) => (limited ? Math.min(100, percent) : percent);
  const percents = samples.map((s) =>
    metric === "cpu_percent"
      ? ofLimit(def.cpuMillis > 0 ? (s.cpuPercent / (def.cpuMillis / 10)) * 100 : s.cpuPercent, def.cpuMillis > 0)
      : ofLimit((s.memoryUsageBytes / (def.memoryBytes || s.memoryLimitBytes || 1)) * 100, true),
  );
  const average = percents.reduce((a, b) => a + b, 0) / percents.length;
  const note =
    samples.length < running.length ? `sampled ${samples.length} of ${running.length}: ${outOfReach}` : undefined;
  return { kind: "value", value: average, samples: samples.length, ...(note ? { note } : {}) };
}
