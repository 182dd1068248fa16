import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export interface DockhandProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Every line the process wrote to stdout and stderr so far. */
  readonly output: string[];
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
}

/**
 * node itself with tsx as a loader: the `tsx` command is a wrapper process, and a signal sent
 * to it (SIGKILL above all) would not reach dockhand, which would live on as an orphan.
 */
const dockhandCommand = [process.execPath, "--import", "tsx", "src/main.ts"] as const;

/** Runs `src/main.ts` as a real child process and waits until it listens. */
export async function spawnDockhand(args: string[], env: NodeJS.ProcessEnv = {}): Promise<DockhandProcess> {
  const [command, ...prefix] = dockhandCommand;
  const child = spawn(command, [...prefix, "--bind", "127.0.0.1", "--port", "0", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? -1)),
  );
  const url = new Promise<string>((resolve, reject) => {
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on("line", (line) => {
        output.push(line);
        const match = /"url":"(https?:\/\/[^"]+)"/.exec(line);
        if (match) resolve(match[1]!);
      });
    }
    void exited.then((code) => reject(new Error(`dockhand exited (${code}) before listening:\n${output.join("\n")}`)));
  });
  return { child, url: await url, output, exited };
}

/** Runs dockhand expecting it to stop on its own (e.g. a bad start-up); returns code and output. */
export async function runDockhandToExit(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | string; output: string }> {
  const [command, ...prefix] = dockhandCommand;
  const child = spawn(command, [...prefix, "--port", "0", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const code = await new Promise<number | string>((resolve) => child.once("exit", (c, s) => resolve(c ?? s ?? -1)));
  clearTimeout(timer);
  return { code, output };
}
