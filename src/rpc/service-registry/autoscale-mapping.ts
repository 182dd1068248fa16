import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, durationMs, type Duration } from "@bufbuild/protobuf/wkt";
import { invalidArgument } from "../../model/dockhand-error.js";
import {
  autoscaleDefaults,
  checkAutoscalePolicy,
  type AutoscaleLimits,
  type AutoscaleMetricName,
  type AutoscalePolicy,
} from "../../model/autoscale-policy.js";
import {
  AutoscaleMetric,
  type AutoscalePolicy as AutoscalePolicyMessage,
  type AutoscalePolicySchema,
} from "../../../gen/dockhand/v1/service_pb.js";

const metrics: Partial<Record<AutoscaleMetric, AutoscaleMetricName>> = {
  [AutoscaleMetric.CPU_PERCENT]: "cpu_percent",
  [AutoscaleMetric.MEMORY_PERCENT]: "memory_percent",
  [AutoscaleMetric.PROMETHEUS_QUERY]: "prometheus_query",
};

const metricsToProto: Record<AutoscaleMetricName, AutoscaleMetric> = {
  cpu_percent: AutoscaleMetric.CPU_PERCENT,
  memory_percent: AutoscaleMetric.MEMORY_PERCENT,
  prometheus_query: AutoscaleMetric.PROMETHEUS_QUERY,
};

export function autoscaleMetricToProto(metric: AutoscaleMetricName): AutoscaleMetric {
  return metricsToProto[metric];
}

/** A negative duration stays negative (durationMs rounds -5 ns to 0), for the range check. */
function signedMs(duration: Duration | undefined, fallback: number): number {
  if (!duration) return fallback;
  return duration.seconds < 0n || duration.nanos < 0 ? Math.min(-1, durationMs(duration)) : durationMs(duration);
}

/**
 * The policy of a service message: undefined when unset (keep the stored one), null for an
 * empty policy (`max_replicas` 0: remove it). Checked against `limits`; errors name the field.
 */
export function autoscaleFromProto(
  message: AutoscalePolicyMessage | undefined,
  limits: AutoscaleLimits,
  prefix = "service.autoscale.",
): AutoscalePolicy | null | undefined {
  if (!message) return undefined;
  if (message.maxReplicas === 0 && message.minReplicas === 0 && message.metric === AutoscaleMetric.UNSPECIFIED)
    return null;
  const metric = metrics[message.metric];
  if (!metric) {
    throw invalidArgument(
      `${prefix}metric`,
      message.metric === AutoscaleMetric.UNSPECIFIED
        ? "is required: CPU_PERCENT, MEMORY_PERCENT or PROMETHEUS_QUERY"
        : `unknown metric ${message.metric}: CPU_PERCENT, MEMORY_PERCENT or PROMETHEUS_QUERY`,
    );
  }
  const policy: AutoscalePolicy = {
    minReplicas: message.minReplicas,
    maxReplicas: message.maxReplicas,
    metric,
    target: message.target,
    query: message.query,
    evaluationIntervalMs: signedMs(message.evaluationInterval, autoscaleDefaults.evaluationIntervalMs),
    cooldownUpMs: signedMs(message.cooldownUp, autoscaleDefaults.cooldownUpMs),
    cooldownDownMs: signedMs(message.cooldownDown, autoscaleDefaults.cooldownDownMs),
    paused: message.paused,
  };
  checkAutoscalePolicy(policy, limits, prefix);
  return policy;
}

export function autoscaleToProto(
  policy: AutoscalePolicy | undefined,
): MessageInitShape<typeof AutoscalePolicySchema> | undefined {
  if (!policy) return undefined;
  return {
    minReplicas: policy.minReplicas,
    maxReplicas: policy.maxReplicas,
    metric: metricsToProto[policy.metric],
    target: policy.target,
    query: policy.query,
    evaluationInterval: durationFromMs(policy.evaluationIntervalMs),
    cooldownUp: durationFromMs(policy.cooldownUpMs),
    cooldownDown: durationFromMs(policy.cooldownDownMs),
    paused: policy.paused,
  };
}
