import type { AutoscalePolicy } from "../../model/autoscale-policy.js";
import type { AutoscaleDecision, AutoscaleOutcome } from "./autoscale-decision.js";

/** A value within this share of the target changes nothing: no flapping around it. */
export const tolerance = 0.1;

/** What one evaluation measured. */
export type Measurement =
  | { kind: "value"; value: number; samples: number; note?: string }
  | { kind: "missing"; outcome: "no_samples" | "query_failed"; why: string };

export interface DecideInput {
  service: string;
  policy: AutoscalePolicy;
  /** The desired count now. */
  count: number;
  measurement: Measurement;
  now: Date;
  /** When the autoscaler last changed the count; unset: never. */
  lastChangeAt?: Date;
  /** What the evaluations before this one wanted (their `wanted`), oldest first. */
  recent?: ReadonlyArray<{ at: Date; wanted: number }>;
}

const units = { cpu_percent: "%", memory_percent: "%", prometheus_query: "" } as const;
const names = { cpu_percent: "cpu", memory_percent: "memory", prometheus_query: "query" } as const;

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/**
 * Nomad's target-value rule: new = ceil(value / target × count) (ceil(value / target) from 0),
 * clamped to min..max. A count outside min..max is brought back whatever was measured; a value
 * within `tolerance` of the target holds; after a change, a scale-up waits `cooldownUpMs` and a
 * scale-down `cooldownDownMs`. A scale-down also goes no lower than the most any evaluation of
 * the last `cooldownDownMs` wanted (a stabilization window, as Kubernetes' HPA has), so one low
 * sample (a replica starved of CPU for a second) never removes replicas.
 */
export function decide(input: DecideInput): AutoscaleDecision {
  const { policy, count, measurement, now } = input;
  const { minReplicas: min, maxReplicas: max } = policy;
  const base = { at: now, metric: policy.metric, target: policy.target, from: count };
  const decision = (outcome: AutoscaleOutcome, to: number, why: string, value = 0, samples = 0, wanted?: number) => ({
    ...base,
    outcome,
    to,
    why,
    value: round(value),
    samples,
    ...(wanted !== undefined ? { wanted } : {}),
  });
  const outside = count < min ? min : count > max ? max : undefined;
  if (outside !== undefined) {
    const bound = count < min ? `below min_replicas ${min}` : `above max_replicas ${max}`;
    const value = measurement.kind === "value" ? measurement.value : 0;
    return decision("scaled", outside, `${count} replicas is ${bound}: ${count} -> ${outside}`, value, 0, outside);
  }
  if (measurement.kind === "missing") return decision(measurement.outcome, count, measurement.why);
  const { value, samples } = measurement;
  const factor = value / policy.target;
  const raw = count === 0 ? Math.ceil(factor) : Math.ceil(factor * count);
  const wanted = Math.min(max, Math.max(min, raw));
  const unit = units[policy.metric];
  const over = samples > 0 ? ` over ${samples} replica${samples === 1 ? "" : "s"}` : "";
  const seen =
    `${names[policy.metric]} ${round(value)}${unit} vs target ${policy.target}${unit} (x${round(factor)})${over}` +
    (measurement.note ? ` (${measurement.note})` : "");
  const within = count > 0 && Math.abs(factor - 1) <= tolerance;
  const hold = (outcome: AutoscaleOutcome, why: string) =>
    decision(outcome, count, `${seen}: ${why}`, value, samples, within ? count : wanted);
  if (within) return hold("within_tolerance", `within ${tolerance * 100}% of the target, holding ${count}`);
  const window = now.getTime() - policy.cooldownDownMs;
  const floor = Math.max(0, ...(input.recent ?? []).filter((r) => r.at.getTime() > window).map((r) => r.wanted));
  const to = wanted < count ? Math.min(count, Math.max(wanted, floor)) : wanted;
  if (wanted < count && to === count)
    return hold(
      "stabilizing",
      `scale-down to ${wanted} waits: an evaluation of the last cooldown_down wanted ${floor}`,
    );
  if (to === count) {
    if (raw !== to) return hold("at_limit", `wants ${raw}, held at ${raw > to ? "max" : "min"}_replicas ${to}`);
    return hold("within_tolerance", `holding ${count}`);
  }
  const cooldownMs = to > count ? policy.cooldownUpMs : policy.cooldownDownMs;
  const until = input.lastChangeAt && new Date(input.lastChangeAt.getTime() + cooldownMs);
  if (until && until > now) {
    const direction = to > count ? "scale-up" : "scale-down";
    return hold("cooldown", `${direction} to ${to} waits for its cooldown until ${until.toISOString()}`);
  }
  return decision("scaled", to, `${seen}: ${count} -> ${to}`, value, samples, wanted);
}

/** Whether a decision is worth recording after `last`: a change, or a new reason to hold. */
export function isNewDecision(decision: AutoscaleDecision, last: AutoscaleDecision | undefined): boolean {
  if (!last || decision.to !== decision.from) return true;
  return decision.outcome !== last.outcome || decision.to !== last.to || decision.from !== last.from;
}
