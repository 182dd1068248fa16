import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { until } from "./until.js";

/** Debian's prometheus, run by a test on loopback. */
export interface TestPrometheus {
  /** Its base URL, e.g. http://127.0.0.1:41234. */
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts Prometheus scraping `targets` (host:port on loopback) every second as job `job`; resolves once it is ready. */
export async function startPrometheus(targets: string[], job: string): Promise<TestPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), "dockhand-prometheus-"));
  const config = join(dir, "prometheus.yml");
  writeFileSync(
    config,
    `global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n  - job_name: ${job}\n    static_configs:\n      - targets: [${targets.map((t) => `"${t}"`).join(", ")}]\n`,
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    "prometheus",
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await until(async () => (await fetch(`${url}/-/ready`)).ok, 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}

/** A scrape target on loopback serving one gauge, whose value the test sets. */
export interface GaugeTarget {
  /** host:port to scrape. */
  address: string;
  set(value: number): void;
  close(): Promise<void>;
}

export async function serveGauge(name: string, initial: number): Promise<GaugeTarget> {
  let value = initial;
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
    res.end(`# TYPE ${name} gauge\n${name} ${value}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    set: (next) => (value = next),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
