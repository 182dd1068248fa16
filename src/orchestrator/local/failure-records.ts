import type { Logger } from "pino";
import type { ContainerSummary } from "../../engine/types.js";
import { ownershipOf } from "../../model/ownership-labels.js";
import type { OwnedContainer } from "./container-view.js";
import type { RestartBackoff } from "./restart-backoff.js";

/** Notes why each failed container of a service stopped, so status can tell and restarts back off. */
export type FailureRecorder = (
  name: string,
  failed: ContainerSummary[],
  known: Map<string, OwnedContainer>,
) => Promise<void>;

export function createFailureRecorder(options: {
  backoff: RestartBackoff;
  logger: Logger;
  /** The last line a container wrote, for crash reports; optional. */
  lastLogLine?: (id: string) => Promise<string>;
}): FailureRecorder {
  const { backoff, logger } = options;

  async function failureReason(container: OwnedContainer | undefined, id: string): Promise<string> {
    if (container?.health === "unhealthy" && container.state === "running") return "unhealthy";
    const line = await options.lastLogLine?.(id).catch(() => "");
    if (line) return line;
    if (container?.error) return container.error;
    return `exited with code ${container?.exitCode ?? "unknown"}`;
  }

  return async (name, failed, known) => {
    const stopped = failed.filter((summary) => summary.state !== "created");
    // The log reads go out together: with several containers down, each waits for none.
    const reasons = await Promise.all(stopped.map((summary) => failureReason(known.get(summary.id), summary.id)));
    stopped.forEach((summary, i) => {
      const container = known.get(summary.id);
      const slot = container?.slot ?? ownershipOf(summary.labels)?.slot ?? 0;
      const startedAt = container?.startedAt?.getTime() ?? Date.now();
      const endedAt = container?.finishedAt?.getTime() ?? Date.now();
      const record = backoff.recordFailure(name, slot, {
        exitCode: container?.exitCode ?? 0,
        reason: reasons[i] ?? "",
        ranMs: Math.max(0, endedAt - startedAt),
      });
      logger.info({ service: name, containerId: summary.id, ...record }, "container of a service stopped");
    });
  };
}
