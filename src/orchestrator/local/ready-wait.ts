import { DockhandError } from "../../model/dockhand-error.js";
import { startDeadline } from "../../lib/deadline.js";
import type { ContainerView } from "./container-view.js";
import { healthCounts } from "./readiness.js";

/** The longest a Scale waits for readiness when its caller set no deadline. */
const maxReadyWaitMs = 600_000;
/** A check of the view even without a change event, in case one was missed. */
const recheckMs = 1000;

/**
 * Resolves when `desired()` containers of a service are ready (healthy, or running with no
 * check). Fails with FailedPrecondition as soon as a running one is unhealthy (it would never
 * become ready by itself), and with Timeout when `signal` aborts or after 10 minutes.
 */
export async function waitUntilReady(
  view: ContainerView,
  name: string,
  desired: () => number,
  signal?: AbortSignal,
): Promise<void> {
  // A plain timer, not AbortSignal.timeout inside AbortSignal.any (which Node may collect unfired).
  const { signal: deadline, clear } = startDeadline(maxReadyWaitMs, signal);
  try {
    await waitLoop(view, name, desired, deadline);
  } finally {
    clear();
  }
}

async function waitLoop(
  view: ContainerView,
  name: string,
  desired: () => number,
  deadline: AbortSignal,
): Promise<void> {
  for (;;) {
    const containers = await view.containersOf(name);
    const counts = healthCounts(containers);
    const target = desired();
    if (counts.ready >= target) return;
    const sick = containers.find((c) => c.state === "running" && c.health === "unhealthy");
    if (sick) {
      throw new DockhandError(
        "FailedPrecondition",
        `service "${name}" has ${counts.ready} of ${target} containers ready: ${sick.name} is unhealthy`,
        {
          details: {
            progress: { name, desired: target, running: containers.filter((c) => c.state === "running").length },
          },
        },
      );
    }
    if (deadline.aborted) {
      throw new DockhandError(
        "Timeout",
        `service "${name}" has ${counts.ready} of ${target} containers ready; the call's deadline passed before the rest were`,
      );
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        unsubscribe();
        deadline.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, recheckMs);
      const unsubscribe = view.onChange((service) => service === name && done());
      deadline.addEventListener("abort", done, { once: true });
    });
  }
}
