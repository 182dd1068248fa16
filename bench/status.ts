/**
 * npm run bench:status — GetStatus of a 50-container service over gRPC (HTTP/2), with 200
 * containers on the engine, against the direct engine query answering the same question
 * (dockerode listContainers, all, filtered by the service's label), both with 32 callers in
 * flight for a fixed time. dockhand runs in its own process; its RSS is read after the run.
 *
 * The 32 callers share one HTTP/2 connection, then 4; the figures printed are those of one
 * connection (what one client process with one transport gets). A third run uses a thin client
 * that does not decode the replies (bench/raw-grpc-client.ts): it shows what the server can
 * answer when the client takes less of the two cores, printed as
 * status-throughput-thin-client. Every run is reported on stderr with the CPU time per call of
 * client and server. BENCH_SECONDS sets the time per measurement (default 10).
 *
 * status-throughput-traced: dockhand restarted on the same data with tracing on (every call a
 * span, exported over OTLP/HTTP to bench/otlp-sink.ts in a process of its own), the same h2load
 * run against the untraced one's (target >= 0.85).
 *
 * It runs on a dockerd of its own (see startPrivateEngine for why); BENCH_ENGINE=shared runs
 * it on the shared engine (DOCKER_HOST or /var/run/docker.sock) instead.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { performance } from "node:perf_hooks";
import { ServiceRegistry } from "../gen/dockhand/v1/registry_pb.js";
import { ContainerState, GetStatusRequestSchema, Scaler } from "../gen/dockhand/v1/scaler_pb.js";
import { runBounded } from "../src/lib/bounded.js";
import { serviceFilter } from "../src/model/ownership-labels.js";
import { createDockerEngine } from "../src/engine/docker/docker-engine.js";
import { dockerUrl, ensureTestImage, testImage } from "../test/support/engine.js";
import { ensureH2load, runH2load, type H2loadResult } from "./h2load.js";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createRawUnaryCaller } from "./raw-grpc-client.js";
import {
  cleanupOnExit,
  cpuTimeOf,
  memoryOf,
  percentile,
  printFigure,
  startDockhandChild,
  startPrivateEngine,
} from "./support.js";

const replicas = 50;
const otherContainers = 150;
const concurrency = 32;
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const warmupSeconds = 2;
const run = `${process.pid}-${Date.now().toString(36)}`;
const service = `bench-status-${run}`;
const plainLabel = "dockhand-bench.status";

interface Load {
  perSecond: number;
  latencies: number[];
  /** CPU time per call, in µs, of this process and of the server (when its pid is known). */
  clientCpuUs: number;
  serverCpuUs: number | undefined;
}

/** `callers` loops calling `call` back to back for `durationMs`; every answer is checked. */
async function load(
  call: () => Promise<unknown>,
  callers: number,
  durationMs: number,
  serverPid?: number,
): Promise<Load> {
  const latencies: number[] = [];
  const serverCpu = serverPid === undefined ? 0 : cpuTimeOf(serverPid);
  const clientCpu = process.cpuUsage();
  const started = performance.now();
  const until = started + durationMs;
  const loop = async () => {
    while (performance.now() < until) {
      const t0 = performance.now();
      await call();
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: callers }, loop));
  const elapsed = (performance.now() - started) / 1000;
  const client = process.cpuUsage(clientCpu);
  return {
    perSecond: latencies.length / elapsed,
    latencies,
    clientCpuUs: (client.user + client.system) / latencies.length,
    serverCpuUs: serverPid === undefined ? undefined : ((cpuTimeOf(serverPid) - serverCpu) * 1000) / latencies.length,
  };
}

function describe(name: string, result: Load): string {
  const p = (q: number) => percentile(result.latencies, q).toFixed(2);
  const cpu =
    `CPU per call: client ${Math.round(result.clientCpuUs)} µs` +
    (result.serverCpuUs === undefined ? "" : `, dockhand ${Math.round(result.serverCpuUs)} µs`);
  return `${name}: ${Math.round(result.perSecond)} req/s, p50 ${p(50)} ms, p99 ${p(99)} ms (${result.latencies.length} calls; ${cpu})`;
}

/** The V8 heap as dockhand's own /metrics reports it, to tell heap from the rest of the RSS. */
async function heapOf(url: string): Promise<string> {
  const text = await fetch(`${url}/metrics`).then(
    (res) => res.text(),
    () => "",
  );
  const mb = (name: string) => {
    const match = new RegExp(`^${name} ([0-9.e+]+)$`, "m").exec(text);
    return match ? `${(Number(match[1]) / 2 ** 20).toFixed(1)} MB` : "?";
  };
  return `heap used ${mb("nodejs_heap_size_used_bytes")} of ${mb("nodejs_heap_size_total_bytes")}, external ${mb("nodejs_external_memory_bytes")}`;
}

/** The OTLP sink's port, once its process listens. */
async function startSink(): Promise<number> {
  sink = spawn(process.execPath, ["--import", "tsx", "bench/otlp-sink.ts"], { stdio: ["ignore", "pipe", 2] });
  const [line] = await new Promise<string[]>((resolve, reject) => {
    createInterface({ input: sink!.stdout! }).once("line", (first) => resolve([first]));
    sink!.once("exit", (code) => reject(new Error(`otlp-sink exited ${code}`)));
  });
  return Number(line);
}

/**
 * Restarts dockhand on the same state with tracing on, waits until its status is whole again,
 * and runs the same h2load load: the traced figure, beside the untraced one from this run.
 */
async function measureTraced(untraced: number): Promise<H2loadResult> {
  const port = await startSink();
  await dockhand.stop();
  dockhand = await startDockhandChild("dockhand-bench-status", engineUrl, nodeArgs, {
    dataDir,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
      OTEL_SERVICE_NAME: "dockhand-bench",
      // Every span is exported, none dropped from a full queue: the whole cost is measured.
      OTEL_BSP_SCHEDULE_DELAY: "1000",
      OTEL_BSP_MAX_QUEUE_SIZE: "262144",
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: "4096",
    },
  });
  const scaler = createClient(Scaler, createGrpcTransport({ baseUrl: dockhand.url }));
  for (let i = 0; ; i++) {
    const { status } = await scaler.getStatus({ name: service }).catch(() => ({ status: undefined }));
    if (status?.running === replicas) break;
    if (i > 600) throw new Error("the traced dockhand did not see the service's containers running within 60 s");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const traced = runH2load(
    dockhand.url,
    "/dockhand.v1.Scaler/GetStatus",
    toBinary(GetStatusRequestSchema, create(GetStatusRequestSchema, { name: service })),
    concurrency,
    seconds,
  );
  if (traced.failed) throw new Error(`h2load: ${traced.failed} calls failed on the traced dockhand`);
  // The batch processor exports every second: wait until the spans of the run stop arriving.
  let exported = 0;
  for (let i = 0, before = -1; i < 150 && (exported === 0 || exported !== before); i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    before = exported;
    exported = Number(await (await fetch(`http://127.0.0.1:${port}/spans`)).text());
  }
  process.stderr.write(
    `dockhand GetStatus traced, h2load with 32 clients: ${Math.round(traced.perSecond)} req/s (untraced ${Math.round(untraced)}), ${exported} spans exported for ${traced.latencies.length} calls\n`,
  );
  return traced;
}

ensureTestImage();
const shared = process.env.BENCH_ENGINE === "shared";
const privateEngine = shared ? undefined : await startPrivateEngine("bench-status");
const engineUrl = privateEngine?.url ?? dockerUrl;
const docker = createDockerEngine({ url: engineUrl }).docker;
process.stderr.write(`engine: ${shared ? "the shared one" : "a private dockerd"} at ${engineUrl}\n`);
// BENCH_NODE_ARGS passes flags to dockhand's node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
// Kept across a restart: the traced dockhand serves the same state.
const dataDir = mkdtempSync(join(tmpdir(), "dockhand-bench-status-"));
const nodeArgs = process.env.BENCH_NODE_ARGS?.split(" ").filter(Boolean);
let sink: ChildProcess | undefined;
let dockhand = await startDockhandChild("dockhand-bench-status", engineUrl, nodeArgs, { dataDir }).catch(
  async (err: unknown) => {
    await privateEngine?.destroy();
    throw err;
  },
);

async function removeAll(): Promise<void> {
  if (!privateEngine) {
    await createClient(ServiceRegistry, createGrpcTransport({ baseUrl: dockhand.url }))
      .deleteService({ name: service, force: true }, { timeoutMs: 120_000 })
      .catch((err: unknown) =>
        console.error(`bench: DeleteService failed (${String(err)}); removing its containers directly`),
      );
  }
  await dockhand.stop();
  sink?.kill("SIGTERM");
  rmSync(dataDir, { recursive: true, force: true });
  // A private engine goes with everything on it (also when Ctrl-C already stopped it).
  if (privateEngine) return privateEngine.destroy();
  for (const label of [serviceFilter(service), `${plainLabel}=${run}`]) {
    const left = await docker.listContainers({ all: true, filters: { label: [label] } });
    await runBounded(left, 8, (c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => undefined),
    );
  }
}
const cleanup = cleanupOnExit(removeAll);

try {
  const registry = createClient(ServiceRegistry, createGrpcTransport({ baseUrl: dockhand.url }));
  await registry.createService({
    service: { name: service, image: testImage, command: ["sleep", "3600"], init: true },
  });
  const setupStarted = performance.now();
  await createClient(Scaler, createGrpcTransport({ baseUrl: dockhand.url })).scale(
    { name: service, replicas },
    { timeoutMs: 300_000 },
  );
  // Created, never started: listing them costs the engine the same, the machine much less.
  const failure = await runBounded(
    Array.from({ length: otherContainers }, (_, i) => i),
    8,
    async (i) => {
      await docker.createContainer({
        name: `bench-status-plain-${run}-${i}`,
        Image: testImage,
        Cmd: ["sleep", "3600"],
        Labels: { [plainLabel]: run },
      });
    },
  );
  if (failure) throw failure;
  const onEngine = (await docker.listContainers({ all: true })).length;
  process.stderr.write(
    `set up ${replicas} + ${otherContainers} containers in ${((performance.now() - setupStarted) / 1000).toFixed(1)} s; ${onEngine} on the engine\n`,
  );

  const scalers = (connections: number): Client<typeof Scaler>[] =>
    Array.from({ length: connections }, () => createClient(Scaler, createGrpcTransport({ baseUrl: dockhand.url })));
  const viaDockhand = (clients: Client<typeof Scaler>[]) => {
    let next = 0;
    return async () => {
      const { status } = await clients[next++ % clients.length]!.getStatus({ name: service });
      if (status?.running !== replicas || status.containers.length !== replicas) {
        const odd = status?.containers
          .filter((c) => c.state !== ContainerState.RUNNING)
          .map((c) => `${c.name} ${ContainerState[c.state]}`);
        throw new Error(
          `GetStatus reported ${status?.running} running of ${status?.containers.length}: ${odd?.join(", ")}`,
        );
      }
    };
  };
  const viaEngine = async () => {
    const found = await docker.listContainers({ all: true, filters: { label: [serviceFilter(service)] } });
    if (found.length !== replicas) throw new Error(`the engine listed ${found.length} containers`);
  };

  const raw = Array.from({ length: 4 }, () =>
    createRawUnaryCaller(
      dockhand.url,
      "/dockhand.v1.Scaler/GetStatus",
      toBinary(GetStatusRequestSchema, create(GetStatusRequestSchema, { name: service })),
    ),
  );
  let nextRaw = 0;
  const viaRaw = async () => {
    if ((await raw[nextRaw++ % raw.length]!.call()) < replicas * 100) throw new Error("GetStatus answered too little");
  };

  const runs = [
    { name: "dockhand GetStatus, 32 callers on 1 HTTP/2 connection", call: viaDockhand(scalers(1)), pid: dockhand.pid },
    {
      name: "dockhand GetStatus, 32 callers on 4 HTTP/2 connections",
      call: viaDockhand(scalers(4)),
      pid: dockhand.pid,
    },
    { name: "dockhand GetStatus, thin client (no decoding), 4 connections", call: viaRaw, pid: dockhand.pid },
    { name: "engine listContainers with the label filter, 32 callers", call: viaEngine, pid: undefined },
  ];
  const idle = memoryOf(dockhand.pid);
  for (const { call } of runs) await load(call, concurrency, warmupSeconds * 1000);
  const results: Load[] = [];
  for (const { name, call, pid } of runs) {
    results.push(await load(call, concurrency, seconds * 1000, pid));
    process.stderr.write(describe(name, results.at(-1)!) + "\n");
  }
  for (const caller of raw) caller.close();
  const [oneConnection, fourConnections, thin, baseline] = results as [Load, Load, Load, Load];
  // The headline figures come from h2load when it can be had: 32 clients, one call in flight each.
  const h2load = ensureH2load()
    ? runH2load(
        dockhand.url,
        "/dockhand.v1.Scaler/GetStatus",
        toBinary(GetStatusRequestSchema, create(GetStatusRequestSchema, { name: service })),
        concurrency,
        seconds,
      )
    : undefined;
  if (h2load)
    process.stderr.write(
      `dockhand GetStatus, h2load with 32 clients: ${Math.round(h2load.perSecond)} req/s, p50 ${percentile(h2load.latencies, 50).toFixed(2)} ms, p99 ${percentile(h2load.latencies, 99).toFixed(2)} ms, ${h2load.failed} failed\n`,
    );
  else process.stderr.write("h2load (Debian nghttp2-client) could not be had: figures from the connect-node client\n");
  const headline = h2load ?? oneConnection;
  const memory = memoryOf(dockhand.pid);
  process.stderr.write(
    `dockhand RSS after the run ${memory.rssMb.toFixed(1)} MB (peak ${memory.peakMb.toFixed(1)} MB, ${idle.rssMb.toFixed(1)} MB before the load); ` +
      (await heapOf(dockhand.url)) +
      "\n",
  );

  const traced = h2load ? await measureTraced(h2load.perSecond) : undefined;

  printFigure({
    bench: "status-throughput",
    unit: "req/s",
    dockhand: headline.perSecond,
    baseline: baseline.perSecond,
    target: ">=20",
    digits: 0,
  });
  for (const p of [50, 99]) {
    printFigure({
      bench: `status-p${p}`,
      unit: "ms",
      dockhand: percentile(headline.latencies, p),
      baseline: percentile(baseline.latencies, p),
      target: null,
      digits: 3,
    });
  }
  printFigure({
    bench: "status-throughput-connect-client",
    unit: "req/s",
    dockhand: oneConnection.perSecond,
    baseline: baseline.perSecond,
    target: ">=20",
    digits: 0,
  });
  printFigure({
    bench: "status-throughput-thin-client",
    unit: "req/s",
    dockhand: thin.perSecond,
    baseline: baseline.perSecond,
    target: ">=20",
    digits: 0,
  });
  if (traced && h2load)
    printFigure({
      bench: "status-throughput-traced",
      unit: "req/s",
      dockhand: traced.perSecond,
      baseline: h2load.perSecond,
      target: ">=0.85",
      digits: 0,
    });
  printFigure({ bench: "status-rss", unit: "MB", dockhand: memory.rssMb, baseline: null, target: "<=150", digits: 1 });
  const best = Math.max(headline.perSecond, oneConnection.perSecond, fourConnections.perSecond);
  process.stderr.write(
    `10,000 GetStatus/s target ${best >= 10_000 ? "met" : "NOT met"}: ${Math.round(Math.max(oneConnection.perSecond, fourConnections.perSecond))} req/s with connect-node clients, ` +
      `${Math.round(thin.perSecond)} req/s with the thin client, best ${Math.round(best)} req/s\n`,
  );
} finally {
  await cleanup();
}
