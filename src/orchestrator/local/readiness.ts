import type { ContainerStatusView } from "../service-status.js";

/** Health counts of a service's running containers. */
export interface HealthCounts {
  healthy: number;
  starting: number;
  unhealthy: number;
  /** Healthy, or running with no health check: the containers that can take work. */
  ready: number;
}

export function isReady(c: Pick<ContainerStatusView, "state" | "health">): boolean {
  return c.state === "running" && (c.health === "healthy" || c.health === "none");
}

export function healthCounts(containers: readonly Pick<ContainerStatusView, "state" | "health">[]): HealthCounts {
  const counts: HealthCounts = { healthy: 0, starting: 0, unhealthy: 0, ready: 0 };
  for (const c of containers) {
    if (c.state !== "running") continue;
    if (c.health === "healthy") counts.healthy++;
    else if (c.health === "starting") counts.starting++;
    else if (c.health === "unhealthy") counts.unhealthy++;
    if (isReady(c)) counts.ready++;
  }
  return counts;
}

/**
 * What counts toward a service's target, the one rule the scaler's Scale and the reconciler's
 * healing both apply: a running container, unless it is unhealthy and the definition replaces
 * unhealthy ones; and a paused one (an operator froze it, and replacing it would lose its
 * writable layer: it is neither replaced nor healed).
 */
export function countsTowardTarget(c: { state: string; health?: string }, replaceUnhealthy: boolean): boolean {
  if (c.state === "paused") return true;
  return c.state === "running" && !(replaceUnhealthy && c.health === "unhealthy");
}
