import type { HealthCheckSpec } from "../engine/types.js";
import { invalidArgument } from "../errors/dockhand-error.js";
import type { ServiceDefinition, UpdatePolicy } from "./service-definition.js";

/** The shortest health-check interval or timeout: shorter ones only load the engine. */
export const minHealthCheckMs = 100;
export const maxHealthCheckMs = 3_600_000;
export const maxHealthCheckRetries = 100;

/**
 * Rules of the workload parts of a definition (health check, mounts, networks, secrets):
 * throws InvalidArgument naming the first offending field, prefixed with `prefix`.
 */
export function checkWorkload(def: ServiceDefinition, prefix = ""): void {
  if (def.healthCheck) checkHealthCheck(def.healthCheck, `${prefix}health_check.`);
}

function checkHealthCheck(check: HealthCheckSpec, prefix: string): void {
  const [kind, ...rest] = check.test;
  if (kind === "NONE" && (check.intervalMs || check.timeoutMs || check.retries || check.startPeriodMs)) {
    throw invalidArgument(`${prefix}none`, "disables the check, so no timing may be set with it");
  }
  if (kind === "CMD" && rest.length === 0) throw invalidArgument(`${prefix}command`, "must not be empty");
  if (kind === "CMD-SHELL" && (rest[0] ?? "").trim() === "") throw invalidArgument(`${prefix}shell`, "must not be empty");
  rest.forEach((arg, i) => {
    if (arg.includes("\0")) throw invalidArgument(kind === "CMD" ? `${prefix}command[${i}]` : `${prefix}shell`, "must not contain NUL");
  });
  for (const [field, ms] of [["interval", check.intervalMs], ["timeout", check.timeoutMs]] as const) {
    if (ms !== 0 && (!Number.isFinite(ms) || ms < minHealthCheckMs || ms > maxHealthCheckMs)) {
      throw invalidArgument(`${prefix}${field}`, `must be between 100ms and 1h (got ${ms / 1000}s)`);
    }
  }
  if (!Number.isFinite(check.startPeriodMs) || check.startPeriodMs < 0 || check.startPeriodMs > maxHealthCheckMs) {
    throw invalidArgument(`${prefix}start_period`, `must be between 0s and 1h (got ${check.startPeriodMs / 1000}s)`);
  }
  if (!Number.isInteger(check.retries) || check.retries < 0 || check.retries > maxHealthCheckRetries) {
    throw invalidArgument(`${prefix}retries`, `must be between 0 and ${maxHealthCheckRetries} (got ${check.retries})`);
  }
}

/** Rules of the health gate of a rolling update (`min_healthy_time`, `healthy_deadline`). */
export function checkHealthGate(policy: Pick<UpdatePolicy, "minHealthyMs" | "healthyDeadlineMs">, prefix: string): void {
  if (!Number.isFinite(policy.minHealthyMs) || policy.minHealthyMs < 0 || policy.minHealthyMs > maxHealthCheckMs) {
    throw invalidArgument(`${prefix}min_healthy_time`, `must be between 0s and 1h (got ${policy.minHealthyMs / 1000}s)`);
  }
  if (!Number.isFinite(policy.healthyDeadlineMs) || policy.healthyDeadlineMs < 1000 || policy.healthyDeadlineMs > maxHealthCheckMs) {
    throw invalidArgument(`${prefix}healthy_deadline`, `must be between 1s and 1h (got ${policy.healthyDeadlineMs / 1000}s)`);
  }
  if (policy.healthyDeadlineMs <= policy.minHealthyMs) {
    throw invalidArgument(`${prefix}healthy_deadline`, `must be longer than min_healthy_time (${policy.minHealthyMs / 1000}s; got ${policy.healthyDeadlineMs / 1000}s)`);
  }
}
