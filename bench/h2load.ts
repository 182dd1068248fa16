import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface H2loadResult {
  perSecond: number;
  /** Per-request latency, in ms. */
  latencies: number[];
  failed: number;
}

/**
 * nghttp2's h2load as the load generator: written in C, it leaves the two cores to the server,
 * where a JavaScript gRPC client spends more CPU per call than dockhand does. Installs
 * Debian's nghttp2-client when missing (as root); undefined when it cannot be had.
 */
export function ensureH2load(): string | undefined {
  if (spawnSync("h2load", ["--version"]).status === 0) return "h2load";
  if (process.getuid?.() !== 0) return undefined;
  const installed = spawnSync("apt-get", ["install", "-y", "-q", "nghttp2-client"], {
    stdio: "ignore",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  return installed.status === 0 ? "h2load" : undefined;
}

/** Unary gRPC calls of `path` with one request message, `clients` connections, one call in flight each. */
export function runH2load(
  url: string,
  path: string,
  message: Uint8Array,
  clients: number,
  seconds: number,
  headers: string[] = [],
): H2loadResult {
  const dir = mkdtempSync(join(tmpdir(), "dockhand-h2load-"));
  try {
    const frame = Buffer.alloc(5 + message.length);
    frame.writeUInt32BE(message.length, 1);
    frame.set(message, 5);
    writeFileSync(join(dir, "request"), frame);
    const log = join(dir, "requests.log");
    const output = execFileSync(
      "h2load",
      [
        "-c",
        String(clients),
        "-m",
        "1",
        "-D",
        String(seconds),
        "--warm-up-time",
        "2",
        "-d",
        join(dir, "request"),
        "-H",
        "content-type: application/grpc",
        "-H",
        "te: trailers",
        ...headers.flatMap((h) => ["-H", h]),
        `--log-file=${log}`,
        `${url}${path}`,
      ],
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
    );
    // Each line: start time (µs since the epoch), HTTP status, duration (µs). Status 0 marks a
    // call still in flight when the time was up: neither answered nor failed, so not counted.
    const lines = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((line) => line.split("\t"));
    const finished = lines.filter((fields) => fields[1] !== "0");
    const latencies = finished.map((fields) => Number(fields[2]) / 1000);
    const failed =
      Number(/(\d+) failed/.exec(output)?.[1] ?? 0) + finished.filter((fields) => fields[1] !== "200").length;
    return { perSecond: finished.length / seconds, latencies, failed };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
