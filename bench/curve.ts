/**
 * npm run bench:curve — how dockhand's cost grows with the work it manages. On a dockerd of its
 * own (see startPrivateEngine), with dockhand in its own process:
 *
 * - scale-curve: Scale 0→N→0 of one service for N = 10, 50, 100, 200, against raw dockerode
 *   at its best of several concurrencies for each N (bench/curve/scale-curve.ts); each point
 *   printed, then scale-up-200 and scale-slope (the time per container at N=200 over that at
 *   N=10, for dockhand and for the baseline).
 * - A fleet of 200 services of 5 containers (1,000 containers; fewer if the machine's free
 *   memory would fall below 6 GiB, see bench/curve/host-memory.ts), on which:
 *   status-many (GetStatus spread over every service, 32 callers, against the label-filtered
 *   engine list), list-1000 (ListContainers of all against dockerode's list), cold-start-1000
 *   (a new dockhand over the same data directory: spawn to a correct GetStatus, against the
 *   same on an empty engine), rss-per-container (RSS of that new dockhand minus RSS of a new one
 *   with none, per container) and watchers-1000 (1,000 WatchStatus streams over 50 HTTP/2
 *   connections; kill→seen p99 against the engine's die event, and RSS).
 *
 * BENCH_SECONDS sets the time per throughput measurement (default 10), BENCH_CONTAINERS the
 * fleet's size (default 1000), BENCH_SIZES and BENCH_CONCURRENCIES the curve's points and the
 * baseline's concurrencies (comma-separated). Everything runs on the private engine, which is
 * removed at the end, also on failure or Ctrl-C.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ServiceRegistry } from "../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../gen/dockhand/v1/scaler_pb.js";
import { createDockerEngine } from "../src/engine/docker/docker-engine.js";
import { ensureTestImage, testImage } from "../test/support/engine.js";
import { allRunning, notFound, timeToFirstStatus } from "./curve/cold-start.js";
import { callsPer, describeCalls, engineCalls } from "./curve/engine-calls.js";
import { buildFleet } from "./curve/fleet.js";
import { availableMb, containersThatFit, reserveMb } from "./curve/host-memory.js";
import { measureListMany } from "./curve/list-many.js";
import { measureScaleCurve, removeBaselineContainers } from "./curve/scale-curve.js";
import { measureStatusMany } from "./curve/status-many.js";
import { measureWatchers } from "./curve/watchers.js";
import {
  cleanupOnExit,
  median,
  memoryOf,
  percentile,
  printFigure,
  startDockhandChild,
  startPrivateEngine,
  type DockhandChild,
} from "./support.js";

const list = (value: string | undefined, fallback: number[]) => (value ? value.split(",").map(Number) : fallback);
const sizes = list(process.env.BENCH_SIZES, [10, 50, 100, 200]);
const concurrencies = list(process.env.BENCH_CONCURRENCIES, [4, 8, 16, 32]);
const wantedContainers = Number(process.env.BENCH_CONTAINERS ?? 1000);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const replicasPerService = 5;
const watcherConnections = 50;
const kills = 20;
const run = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const log = (line: string) => process.stderr.write(`${line}\n`);
/** How busy the machine is: the figures are ratios, but a busy machine bends them. */
const load = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`;

ensureTestImage();
const engine = await startPrivateEngine("bench-curve");
const docker = createDockerEngine({ url: engine.url }).docker;
const dataDir = mkdtempSync(join(tmpdir(), "dockhand-bench-curve-"));
const settings = { dataDir, env: { DOCKHAND_MAX_REPLICAS: String(Math.max(...sizes)) } };
let dockhand: DockhandChild | undefined;
const baselineLabel = `dockhand-bench-curve-${run}`;

const cleanup = cleanupOnExit(async () => {
  await dockhand?.stop();
  log(`removing the private engine and everything on it (${Math.round(availableMb())} MB available)`);
  await engine.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

try {
  log(`engine: a private dockerd at ${engine.url}; ${Math.round(availableMb())} MB available; ${load()}`);
  dockhand = await startDockhandChild("dockhand-bench-curve", engine.url, [], settings);
  const coldStartEmpty = await timeToFirstStatus(dockhand, `curve-${run}-absent`, notFound);
  await sleep(3000);
  const rssEmptyMb = memoryOf(dockhand.pid).rssMb;
  log(
    `a new dockhand with no containers: first GetStatus after ${coldStartEmpty.toFixed(2)} s, RSS ${rssEmptyMb.toFixed(1)} MB`,
  );

  // The curve.
  const registry = createClient(ServiceRegistry, createGrpcTransport({ baseUrl: dockhand.url }));
  const scaler = createClient(Scaler, createGrpcTransport({ baseUrl: dockhand.url }));
  const curveService = `curve-${run}`;
  await registry.createService({
    service: { name: curveService, image: testImage, command: ["sleep", "3600"], init: true },
  });
  const points = await measureScaleCurve({
    scaler,
    service: curveService,
    docker,
    dockhandPid: dockhand.pid,
    dockhandUrl: dockhand.url,
    baselineLabel,
    sizes,
    concurrencies,
    log,
  }).catch(async (err: unknown) => {
    await removeBaselineContainers(docker, baselineLabel);
    throw err;
  });
  await registry.deleteService({ name: curveService, force: true });
  log(`after the curve: ${load()}`);

  // The fleet, as large as fits.
  const perContainerMb = Math.max(4.5, ...points.map((p) => p.hostMbPerContainer));
  const fits = containersThatFit(perContainerMb);
  const containers = Math.min(wantedContainers, fits);
  log(
    `fleet: ${Math.round(availableMb())} MB available, ${perContainerMb.toFixed(2)} MB per container measured; ${fits} fit above the ${reserveMb} MB reserve; building ${containers}`,
  );
  const fleetStarted = performance.now();
  const fleet = await buildFleet({
    registry,
    scaler,
    prefix: `curve-${run}`,
    services: Math.floor(containers / replicasPerService),
    replicas: replicasPerService,
    log,
  });
  log(
    `fleet: ${fleet.services.length} services, ${fleet.containers} containers in ${((performance.now() - fleetStarted) / 1000).toFixed(0)} s; ${Math.round(availableMb())} MB available; ${load()}`,
  );

  const beforeStatus = await engineCalls(dockhand.url);
  const statusMany = await measureStatusMany(dockhand.url, docker, fleet, 32, seconds, log);
  const afterStatus = await engineCalls(dockhand.url);
  const statusCalls = statusMany.thin.latencies.length + statusMany.decoded.latencies.length;
  log(`  engine calls per GetStatus: ${describeCalls(callsPer(beforeStatus, afterStatus, statusCalls))}`);
  const listMany = await measureListMany(dockhand.url, docker, fleet.containers, 30);
  log(
    `  engine calls per ListContainers: ${describeCalls(callsPer(afterStatus, await engineCalls(dockhand.url), listMany.dockhand.length + 3))}`,
  );
  log(
    `  ListContainers of ${listMany.listed}: dockhand p50 ${median(listMany.dockhand).toFixed(1)} ms, dockerode p50 ${median(listMany.engine).toFixed(1)} ms`,
  );

  // A new dockhand over the same state and engine.
  await dockhand.stop();
  dockhand = undefined;
  const restarted = await startDockhandChild("dockhand-bench-curve", engine.url, [], settings);
  dockhand = restarted;
  const coldStart = await timeToFirstStatus(restarted, fleet.services.at(-1)!, allRunning(fleet.replicas));
  log(
    `  engine calls per container until then: ${describeCalls(callsPer(new Map(), await engineCalls(restarted.url), fleet.containers))}`,
  );
  await sleep(3000);
  const rssFleetMb = memoryOf(restarted.pid).rssMb;
  log(
    `a new dockhand over ${fleet.containers} containers: correct GetStatus after ${coldStart.toFixed(2)} s, RSS ${rssFleetMb.toFixed(1)} MB`,
  );

  const beforeWatchers = await engineCalls(restarted.url);
  const watchers = await measureWatchers({
    url: restarted.url,
    docker,
    dockhandPid: restarted.pid,
    fleet,
    watchers: fleet.containers,
    connections: watcherConnections,
    kills,
    log,
  });
  log(
    `  engine calls per kill (opening the watchers included): ${describeCalls(callsPer(beforeWatchers, await engineCalls(restarted.url), kills))}`,
  );
  log(
    `  kill→seen by every watcher: p50 ${percentile(watchers.seen, 50).toFixed(1)} ms, p99 ${percentile(watchers.seen, 99).toFixed(1)} ms over ${watchers.seen.length} sightings; ` +
      `engine die event p50 ${percentile(watchers.engineSeen, 50).toFixed(1)} ms; ${watchers.missed} missed, ${watchers.streamErrors} stream errors; ${load()}`,
  );

  for (const p of points) {
    printFigure({
      bench: `scale-curve-up-${p.n}`,
      unit: "s",
      dockhand: p.dockhandUp,
      baseline: p.baselineUp,
      target: null,
      digits: 3,
    });
    printFigure({
      bench: `scale-curve-down-${p.n}`,
      unit: "s",
      dockhand: p.dockhandDown,
      baseline: p.baselineDown,
      target: null,
      digits: 3,
    });
  }
  const first = points[0]!;
  const last = points.at(-1)!;
  printFigure({
    bench: `scale-up-${last.n}`,
    unit: "s",
    dockhand: last.dockhandUp,
    baseline: last.baselineUp,
    target: "<=1.0",
    digits: 3,
  });
  const slope = (time: number, n: number) => time / n;
  printFigure({
    bench: "scale-slope",
    unit: `s/container at N=${last.n} over N=${first.n}`,
    dockhand: slope(last.dockhandUp, last.n) / slope(first.dockhandUp, first.n),
    baseline: slope(last.baselineUp, last.n) / slope(first.baselineUp, first.n),
    target: "dockhand<=1.25",
    digits: 3,
  });
  printFigure({
    bench: "scale-slope-down",
    unit: `s/container at N=${last.n} over N=${first.n}`,
    dockhand: slope(last.dockhandDown, last.n) / slope(first.dockhandDown, first.n),
    baseline: slope(last.baselineDown, last.n) / slope(first.baselineDown, first.n),
    target: null,
    digits: 3,
  });
  printFigure({
    bench: `engine-calls-up-${last.n}`,
    unit: "calls/container",
    dockhand: last.callsUp.total,
    baseline: 2,
    target: null,
    digits: 2,
  });
  printFigure({
    bench: `engine-calls-down-${last.n}`,
    unit: "calls/container",
    dockhand: last.callsDown.total,
    baseline: 2,
    target: null,
    digits: 2,
  });
  const size = fleet.containers;
  printFigure({
    bench: "status-many",
    unit: "req/s",
    dockhand: statusMany.thin.perSecond,
    baseline: statusMany.engine.perSecond,
    target: ">=20",
    digits: 0,
  });
  printFigure({
    bench: "status-many-p99",
    unit: "ms",
    dockhand: percentile(statusMany.thin.latencies, 99),
    baseline: percentile(statusMany.engine.latencies, 99),
    target: null,
    digits: 3,
  });
  printFigure({
    bench: "status-many-connect-client",
    unit: "req/s",
    dockhand: statusMany.decoded.perSecond,
    baseline: statusMany.engine.perSecond,
    target: ">=20",
    digits: 0,
  });
  printFigure({
    bench: `list-${size}`,
    unit: "ms",
    dockhand: median(listMany.dockhand),
    baseline: median(listMany.engine),
    target: "<=1.0",
    digits: 2,
  });
  printFigure({
    bench: "rss-per-container",
    unit: "KB",
    dockhand: ((rssFleetMb - rssEmptyMb) * 1024) / size,
    baseline: null,
    target: "<=64",
    digits: 1,
  });
  printFigure({
    bench: `cold-start-${size}`,
    unit: "s",
    dockhand: coldStart,
    baseline: coldStartEmpty,
    target: "dockhand<=3",
    digits: 3,
  });
  printFigure({
    bench: `watchers-${watchers.watchers}`,
    unit: "ms p99",
    dockhand: percentile(watchers.seen, 99),
    baseline: percentile(watchers.engineSeen, 99),
    target: "dockhand<=250",
    digits: 1,
  });
  printFigure({
    bench: `watchers-${watchers.watchers}-rss`,
    unit: "MB",
    dockhand: watchers.rssWatchingMb,
    baseline: watchers.rssIdleMb,
    target: "dockhand<=250",
    digits: 1,
  });
  if (watchers.missed || watchers.streamErrors) process.exitCode = 1;
} finally {
  await cleanup();
}
