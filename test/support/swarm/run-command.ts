// Test support for a real three-node Docker Swarm on this machine: network namespaces joined by
// a bridge, one dockerd per node, swarm init/join, and a teardown that checks nothing is left.
import { execFile } from "node:child_process";

/** Runs a program with a time bound; rejects with its stderr when it fails or overruns. */
export function run(
  file: string,
  args: readonly string[],
  timeoutMs = 30_000,
  input?: Buffer | string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: "utf8" },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${file} ${args.join(" ")}: ${err.message}\n${stderr}`.trim()));
        else resolve(stdout);
      },
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Like run, but a failure is ignored: for clean-up of what may already be gone. */
export async function tryRun(file: string, args: readonly string[], timeoutMs = 30_000): Promise<void> {
  await run(file, args, timeoutMs).catch(() => undefined);
}

export const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
