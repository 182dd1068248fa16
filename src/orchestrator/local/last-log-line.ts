import type { ContainerStreams } from "../../engine/container-streams.js";

/** The last non-empty line a container wrote (stdout or stderr), for crash reports. */
export async function lastLogLine(engine: Pick<ContainerStreams, "containerLogs">, id: string): Promise<string> {
  let last = "";
  const logs = engine.containerLogs(id, { follow: false, tail: 5, timestamps: false, stdout: true, stderr: true, signal: AbortSignal.timeout(2000) });
  for await (const lines of logs) {
    for (const line of lines) if (line.text.trim() !== "") last = line.text.trim();
  }
  return last;
}
