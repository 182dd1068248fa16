import type { ContainerStreams, LogLine } from "../engine/container-streams.js";
import type { ServiceLogLine, ServiceLogOptions } from "./orchestrator.js";
import type { ContainerStatusView } from "./service-status.js";

/**
 * A service's logs on one engine: each container's logs, merged. Without `follow`, every line
 * logged so far, oldest first; with it, lines as each container hands them over, until the
 * signal aborts or every container's stream ended.
 */
export async function* mergedContainerLogs(
  containers: Pick<ContainerStreams, "logs">,
  of: readonly ContainerStatusView[],
  options: ServiceLogOptions,
): AsyncGenerator<ServiceLogLine> {
  const read = (container: ContainerStatusView) =>
    containers.logs(container.id, {
      follow: options.follow,
      tail: options.tail,
      timestamps: true,
      stdout: true,
      stderr: true,
      signal: options.signal,
    });
  const toLine = (container: ContainerStatusView, { stream, text, timeNano, continued }: LogLine): ServiceLogLine => ({
    slot: container.slot,
    containerId: container.id,
    ...(container.node ? { node: container.node } : {}),
    stream,
    line: text,
    at: new Date(Number((timeNano ?? 0n) / 1_000_000n)),
    ...(continued ? { continued } : {}),
  });
  if (!options.follow) {
    const all: Array<ServiceLogLine & { nano: bigint }> = [];
    for (const container of of) {
      for await (const batch of read(container)) {
        for (const line of batch) all.push({ ...toLine(container, line), nano: line.timeNano ?? 0n });
      }
    }
    all.sort((a, b) => (a.nano < b.nano ? -1 : a.nano > b.nano ? 1 : 0));
    for (const { nano: _nano, ...line } of all) yield line;
    return;
  }
  // Following: one reader per container feeds a shared queue; the merge yields in arrival order.
  const queue: ServiceLogLine[] = [];
  let wake: (() => void) | undefined;
  let open = of.length;
  let failure: unknown;
  const readers = of.map(async (container) => {
    try {
      for await (const batch of read(container)) {
        for (const line of batch) queue.push(toLine(container, line));
        wake?.();
      }
    } catch (err) {
      if (!options.signal.aborted) failure ??= err;
    } finally {
      open--;
      wake?.();
    }
  });
  const aborted = () => wake?.();
  options.signal.addEventListener("abort", aborted);
  try {
    while (!options.signal.aborted) {
      while (queue.length) yield queue.shift()!;
      if (failure) throw failure;
      if (open === 0) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    options.signal.removeEventListener("abort", aborted);
    void Promise.allSettled(readers);
  }
}
