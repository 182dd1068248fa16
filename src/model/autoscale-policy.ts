import { invalidArgument } from "./dockhand-error.js";

export type AutoscaleMetricName = "cpu_percent" | "memory_percent" | "prometheus_query";

/** How the autoscaler follows a service's load (Nomad's target-value strategy). Stored beside the definition. */
export interface AutoscalePolicy {
  minReplicas: number;
  maxReplicas: number;
  metric: AutoscaleMetricName;
  /** CPU and memory: a percentage in (0, 100]; a query: its own unit, above 0. */
  target: number;
  /** The PromQL instant query; empty for CPU and memory. */
  query: string;
  evaluationIntervalMs: number;
  cooldownUpMs: number;
  cooldownDownMs: number;
  paused: boolean;
}

export const autoscaleDefaults = Object.freeze({
  evaluationIntervalMs: 10_000,
  cooldownUpMs: 30_000,
  cooldownDownMs: 300_000,
});

export const maxQueryLength = 4096;
const maxCooldownMs = 24 * 3_600_000;

/** What the rules need to know of the server and the service. */
export interface AutoscaleLimits {
  /** The server's largest replica count. */
  maxReplicas: number;
  /** A Prometheus server is configured (queries can be asked). */
  prometheus: boolean;
  /** The service publishes a fixed host port, which one container only can hold. */
  fixedHostPort: boolean;
}

/** Throws InvalidArgument naming the first offending field (e.g. `service.autoscale.max_replicas`). */
export function checkAutoscalePolicy(policy: AutoscalePolicy, limits: AutoscaleLimits, prefix: string): void {
  const field = (name: string) => `${prefix}${name}`;
  const { minReplicas: min, maxReplicas: max } = policy;
  const limit = limits.fixedHostPort ? 1 : limits.maxReplicas;
  if (!Number.isInteger(max) || max < 1 || max > limit) {
    const why = limits.fixedHostPort
      ? "the service publishes a fixed host port, which only one container can hold"
      : `the server's max_replicas is ${limits.maxReplicas}`;
    throw invalidArgument(field("max_replicas"), `must be between 1 and ${limit} (got ${max}): ${why}`);
  }
  if (!Number.isInteger(min) || min < 0) throw invalidArgument(field("min_replicas"), `must be 0 or more (got ${min})`);
  if (min > max) throw invalidArgument(field("min_replicas"), `must not be above max_replicas ${max} (got ${min})`);
  if (policy.metric === "prometheus_query") {
    if (!limits.prometheus) {
      throw invalidArgument(
        field("query"),
        "needs a Prometheus server, and none is configured (set dockhand.prometheus_url or DOCKHAND_PROMETHEUS_URL)",
      );
    }
    if (policy.query.trim() === "") throw invalidArgument(field("query"), "is required with PROMETHEUS_QUERY");
    if (policy.query.length > maxQueryLength)
      throw invalidArgument(
        field("query"),
        `must be at most ${maxQueryLength} characters (got ${policy.query.length})`,
      );
    if (!Number.isFinite(policy.target) || policy.target <= 0)
      throw invalidArgument(field("target"), `must be above 0 (got ${policy.target})`);
  } else {
    if (policy.query !== "") throw invalidArgument(field("query"), "is only allowed with PROMETHEUS_QUERY");
    if (!Number.isFinite(policy.target) || policy.target <= 0 || policy.target > 100)
      throw invalidArgument(field("target"), `must be a percentage above 0 and at most 100 (got ${policy.target})`);
    if (min < 1)
      throw invalidArgument(
        field("min_replicas"),
        "must be at least 1 for CPU and memory: no replica, nothing to measure",
      );
  }
  if (
    !Number.isFinite(policy.evaluationIntervalMs) ||
    policy.evaluationIntervalMs < 1000 ||
    policy.evaluationIntervalMs > 3_600_000
  ) {
    throw invalidArgument(
      field("evaluation_interval"),
      `must be between 1s and 1h (got ${policy.evaluationIntervalMs / 1000}s)`,
    );
  }
  for (const [name, ms] of [
    ["cooldown_up", policy.cooldownUpMs],
    ["cooldown_down", policy.cooldownDownMs],
  ] as const) {
    if (!Number.isFinite(ms) || ms < 0 || ms > maxCooldownMs)
      throw invalidArgument(field(name), `must be between 0s and 24h (got ${ms / 1000}s)`);
  }
}
