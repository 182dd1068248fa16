import type { ServiceLogLine } from "../swarm.js";
import type { OutputFrame } from "../frame-demuxer.js";

/**
 * One line of a service's logs as the manager sends it with `timestamps` and `details`:
 * `<RFC 3339 time> <k=v,k=v,...> <line>`, the details naming the task and node.
 */
export function parseServiceLogLine(stream: OutputFrame["stream"], text: string): ServiceLogLine | undefined {
  if (stream === "error") return undefined;
  const firstSpace = text.indexOf(" ");
  if (firstSpace < 0) return undefined;
  const at = new Date(text.slice(0, firstSpace));
  let rest = text.slice(firstSpace + 1);
  const details: Record<string, string> = {};
  const secondSpace = rest.indexOf(" ");
  const head = secondSpace < 0 ? rest : rest.slice(0, secondSpace);
  if (head.includes("com.docker.swarm.")) {
    for (const pair of head.split(",")) {
      const eq = pair.indexOf("=");
      if (eq > 0) details[decodeURIComponent(pair.slice(0, eq))] = decodeURIComponent(pair.slice(eq + 1));
    }
    rest = secondSpace < 0 ? "" : rest.slice(secondSpace + 1);
  }
  return {
    taskId: details["com.docker.swarm.task.id"] ?? "",
    nodeId: details["com.docker.swarm.node.id"] ?? "",
    stream,
    line: rest.replace(/\r?\n$/, ""),
    at: Number.isNaN(at.getTime()) ? new Date() : at,
  };
}
