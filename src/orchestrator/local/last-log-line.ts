import type { Engine } from "../../engine/engine.js";

/** The last non-empty line a container wrote (stdout or stderr), for crash reports. */
export async function lastLogLine(engine: Pick<Engine, "containers">, id: string): Promise<string> {
  let last = "";
  const logs = engine.containers.logs(id, {
    follow: false,
    tail: 5,
    timestamps: false,
    stdout: true,
    stderr: true,
    signal: AbortSignal.timeout(2000),
  });
  for await (const lines of logs) {
    for (const line of lines) if (line.text.trim() !== "") last = line.text.trim();
  }
  return last;
}
