/**
 * Helpers shared by the benchmarks that run dockhand as its own process: start and stop it,
 * read its memory, summarise samples, print figures, and clean up on Ctrl-C.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { testImage } from "../test/support/engine.js";
import { startSecondEngine, type SecondEngine } from "../test/support/second-engine.js";

export interface DockhandChild {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  /** performance.now() when the process was spawned (after the compile). */
  readonly spawnedAt: number;
  /** SIGTERM, wait for the exit (SIGKILL after 10 s), and remove the data directory. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * dockhand in its own process, so that its CPU and memory are not the benchmark client's.
 * Node runs src/main.ts itself (`--import tsx`) rather than through the tsx CLI, which would
 * put a wrapper process between us and the server and hide the server's pid and RSS. At log
 * level warn the "listening" line is not written, hence a port chosen here and a probe of
 * /healthz instead of parsing the log. By default it runs the tsc output as `npm start` and the
 * Docker image do; BENCH_SERVER=tsx runs src/main.ts through tsx instead.
 */
export async function startDockhandChild(
  prefix: string,
  dockerUrl: string,
  nodeArgs: string[] = [],
  serve: { args?: string[]; tlsCa?: Buffer; dataDir?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<DockhandChild> {
  // A data directory the caller passes is the caller's to keep (a restart over the same state).
  const dataDir = serve.dataDir ?? mkdtempSync(join(tmpdir(), `${prefix}-`));
  const port = await freePort();
  // By default dockhand runs as `npm start` runs it: compiled, with the same memory settings.
  const entry =
    process.env.BENCH_SERVER === "tsx"
      ? ["--import", "tsx", "src/main.ts"]
      : ["--max-semi-space-size=4", compileDockhand()];
  const args = [
    ...nodeArgs,
    ...entry,
    "--bind",
    "127.0.0.1",
    "--port",
    String(port),
    "--data-dir",
    dataDir,
    "--docker-url",
    dockerUrl,
    "--log-level",
    "warn",
    ...(serve.args ?? []),
  ];
  // Its log goes to our stderr, keeping stdout for the figures.
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, args, {
    stdio: ["ignore", 2, 2],
    env: { ...process.env, MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? "2", ...serve.env },
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `${serve.tlsCa ? "https" : "http"}://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    if (!serve.dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  for (let attempt = 0; attempt < 300; attempt++) {
    if (child.exitCode !== null) break;
    const ok = await probeHealthz(`${url}/healthz`, serve.tlsCa);
    if (ok) return { child, pid: child.pid!, url, spawnedAt, stop };
    await sleep(100);
  }
  await stop();
  throw new Error(`dockhand did not answer on ${url} within 30 s (exit code ${child.exitCode})`);
}

/** True when GET /healthz answers 200 (over TLS, trusting `ca`). */
function probeHealthz(url: string, ca: Buffer | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const get = url.startsWith("https:") ? https.get : http.get;
    const req = get(url, { ca, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("error", () => resolve(false)).on("timeout", () => req.destroy());
  });
}

/**
 * Compiles the working tree with tsc, as the Dockerfile does, below node_modules so that
 * the output resolves the same packages and stays out of git and dist/. Returns main.js.
 */
let compiled: string | undefined;
function compileDockhand(): string {
  const outDir = "node_modules/.cache/dockhand-bench-build";
  // Once per benchmark process: a second dockhand (a restart) runs the same build.
  if (compiled) return compiled;
  execFileSync("node_modules/.bin/tsc", ["-p", "tsconfig.build.json", "--outDir", outDir], { stdio: "inherit" });
  return (compiled = join(outDir, "src", "main.js"));
}

/**
 * A dockerd of the benchmark's own (see test/support/second-engine.ts) holding the test image.
 * On the shared engine every other dockhand instance (a test server, a left-over child)
 * counts this benchmark's containers as orphans, since its registry does not know them, and
 * removes them after its grace period, which tests set as low as 0.5 s; the engine's other
 * users also add noise to the timings.
 */
export async function startPrivateEngine(name: string): Promise<SecondEngine> {
  const engine = await startSecondEngine(name);
  try {
    engine.loadImage(testImage);
  } catch (err) {
    await engine.destroy();
    throw err;
  }
  return engine;
}

/** Resident and peak resident memory of a process, in MB, from /proc. */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssMb: kb("VmRSS") / 1024, peakMb: kb("VmHWM") / 1024 };
}

/** CPU time a process has used so far (user + system), in ms, from /proc (10 ms resolution). */
export function cpuTimeOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after the command name.
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export const median = (samples: readonly number[]) => percentile(samples, 50);

export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/** One figure as a JSON line on stdout; ratio is dockhand / baseline in the figure's unit. */
export function printFigure(figure: {
  bench: string;
  unit: string;
  dockhand: number;
  baseline: number | null;
  target: string | null;
  digits?: number;
}): void {
  const digits = figure.digits ?? 2;
  const { bench, unit, target } = figure;
  const dockhand = round(figure.dockhand, digits);
  const baseline = figure.baseline === null ? null : round(figure.baseline, digits);
  const ratio = figure.baseline === null ? null : round(figure.dockhand / figure.baseline, 3);
  console.log(JSON.stringify({ bench, unit, dockhand, baseline, ratio, target }));
}

/**
 * Runs `cleanup` once, whether the benchmark ends normally, fails, or is interrupted (then
 * exiting 130). Returns the guarded cleanup for the normal path.
 */
export function cleanupOnExit(cleanup: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  const once = () => (running ??= cleanup().catch((err: unknown) => console.error("bench: cleanup failed:", err)));
  const interrupted = (signal: NodeJS.Signals) => {
    console.error(`bench: ${signal}: cleaning up`);
    void once().finally(() => process.exit(130));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  return async () => {
    await once();
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
  };
}
