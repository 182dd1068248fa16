import { DockhandError } from "../../model/dockhand-error.js";
import { createWakeup } from "../../lib/wakeup.js";
import type { ServiceStatusView } from "../service-status.js";
import type { SwarmTaskView } from "./swarm-task-view.js";
import type { SwarmTask } from "../../engine/swarm.js";
import { currentTasks, isHealthStarting, runningTasks } from "./swarm-status.js";

export interface ScaleWaitOptions {
  view: SwarmTaskView;
  name: string;
  /** The count being waited for; read again each time, as a later Scale may change it. */
  desired: () => number;
  status: () => Promise<ServiceStatusView>;
  signal?: AbortSignal;
  /** A later Scale replaced this one's count: stop waiting (the caller answers Aborted). */
  superseded?: () => boolean;
  /**
   * Count tasks that wait for their first healthy check as running: a plain Scale of a service
   * with a health check returns once its containers run, as on the local backend; a Scale that
   * waits for READY leaves this false (Swarm runs a checked task only once it is healthy).
   */
  countHealthStarting?: boolean;
  /** How often the service's tasks are read while waiting, in ms. Default 250. */
  pollMs?: number;
}

/** Tasks that failed to start are counted: this many of them with too few running is a failed scale. */
const failedStartsBeforeGivingUp = 3;

/**
 * Resolves when exactly `desired` tasks run (and no other is current), like the local
 * backend's wait. Fails with the progress reached when the caller's signal aborts (Timeout)
 * or when tasks keep failing to start (FailedPrecondition, with Swarm's reason).
 */
export async function waitForCount(options: ScaleWaitOptions): Promise<ServiceStatusView> {
  const { view, name } = options;
  const pollMs = options.pollMs ?? 250;
  const inner = new AbortController();
  const forward = () => inner.abort();
  options.signal?.addEventListener("abort", forward, { once: true });
  const wakeup = createWakeup(inner.signal);
  const unsubscribe = view.onChange((service) => service === name && wakeup.notify());
  const startedAt = Date.now();
  const failedSeen = new Map<string, SwarmTask>();
  const progress = (running: number) => ({ progress: { name, desired: options.desired(), running } });
  try {
    for (;;) {
      if (options.superseded?.()) return await options.status();
      const tasks = view.tasks(name);
      const running =
        runningTasks(tasks, view.nodes()).length +
        (options.countHealthStarting ? tasks.filter((t) => isHealthStarting(t, true)).length : 0);
      const current = currentTasks(tasks).length;
      if (running === options.desired() && current === running) return await options.status();
      // Kept across reads: Swarm's task history may hold fewer failed tasks than this counts.
      for (const t of tasks) {
        if ((t.state === "failed" || t.state === "rejected") && t.stateAt.getTime() >= startedAt - 1000)
          failedSeen.set(t.id, t);
      }
      const failed = [...failedSeen.values()].sort((a, b) => a.stateAt.getTime() - b.stateAt.getTime());
      if (failed.length >= failedStartsBeforeGivingUp && running < options.desired()) {
        const last = failed[failed.length - 1]!;
        throw new DockhandError(
          "FailedPrecondition",
          `service "${name}" has ${running} of ${options.desired()} tasks running: a task ${last.state}: ${last.error || last.message}`,
          { details: progress(running) },
        );
      }
      if (options.signal?.aborted) {
        throw new DockhandError(
          "Timeout",
          `the call's deadline passed with ${running} of ${options.desired()} tasks of service "${name}" running; Swarm goes on in the background`,
          { details: progress(running) },
        );
      }
      await Promise.race([wakeup.next(), new Promise((resolve) => setTimeout(resolve, pollMs))]);
      if (!options.signal?.aborted) await view.refresh(name).catch(() => undefined);
    }
  } finally {
    unsubscribe();
    wakeup.close();
    options.signal?.removeEventListener("abort", forward);
    inner.abort();
  }
}
