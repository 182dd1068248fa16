import { execFile, execFileSync } from "node:child_process";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion and never throws for a non-zero exit. */
export function run(
  command: string,
  args: string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        timeout: options.timeoutMs ?? 120_000,
        env: { ...process.env, ...options.env },
        cwd: options.cwd,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

export const bufBin = "node_modules/.bin/buf";
/** Debian's interpreter, which has python3-grpcio and python3-protobuf. */
export const debianPython = "/usr/bin/python3";

/** Runs the docker CLI against the shared engine and returns its trimmed output; throws on a non-zero exit. */
export function docker(...args: string[]): string {
  return execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/** The same, answering "" when the command fails (clean-up of what may already be gone). */
export function dockerQuietly(...args: string[]): string {
  try {
    return docker(...args);
  } catch {
    return "";
  }
}
