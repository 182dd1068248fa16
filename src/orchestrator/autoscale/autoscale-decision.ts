import type { AutoscaleMetricName } from "../../model/autoscale-policy.js";

/** What an evaluation came to: a change of count, or why the count holds. */
export type AutoscaleOutcome =
  | "scaled"
  | "within_tolerance"
  | "cooldown"
  | "stabilizing"
  | "at_limit"
  | "no_samples"
  | "query_failed"
  | "scale_failed"
  | "paused";

/** One decision of the autoscaler, as status shows it. */
export interface AutoscaleDecision {
  at: Date;
  metric: AutoscaleMetricName;
  /** The measured value; 0 when nothing could be measured. */
  value: number;
  target: number;
  from: number;
  to: number;
  why: string;
  /** Replicas measured (CPU, memory); 0 for a query. */
  samples: number;
  outcome: AutoscaleOutcome;
  /** The count the rule asked for, before cooldowns and stabilization; unset when nothing was measured. */
  wanted?: number;
}
