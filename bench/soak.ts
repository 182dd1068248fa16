/**
 * npm run soak — 64 clients on all three protocols (gRPC through @grpc/grpc-js, Connect JSON
 * and gRPC-web through connect-node) run a mix of calls against dockhand for SOAK_SECONDS
 * (default 60): GetStatus and ListContainers; Scale up and down of 10 services; StreamLogs and
 * WatchStatus streams opened and cancelled; CreateService (then DeleteService) and
 * UpdateService with rolling updates of 4 more; bad requests from the fuzzer's corpus
 * (bench/soak/soak-client.ts has the weights). Meanwhile the private engine is restarted once
 * and 20 containers are killed at random times (bench/soak/faults.ts).
 *
 * At the end it checks, prints one JSON line per check and exits non-zero if one fails:
 * - no unexpected errors (bench/soak/outcomes.ts says which are expected);
 * - every service runs its last desired count within 10 s of the end;
 * - RPC and engine streams open (/metrics) and dockhand's engine connections back to their
 *   baseline, open file descriptors within 10 of the start;
 * - RSS at the end ≤ 1.15× RSS at 20 s, and no set of objects grows across three heap
 *   snapshots (at 15 s, at 80% of the run and after the end);
 * - the state file holds what the clients last set.
 *
 * dockhand runs in its own process on a dockerd of the soak's own, removed at the end (also on
 * failure or Ctrl-C). SOAK_SEED replays the same choices.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ServiceRegistry } from "../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../gen/dockhand/v1/scaler_pb.js";
import { createDockerEngine } from "../src/engine/docker/docker-engine.js";
import { ensureTestImage, testImage } from "../test/support/engine.js";
import { createPrng } from "../test/support/fuzz/prng.js";
import { createBadRequestSender } from "./soak/bad-requests.js";
import { waitForConvergence } from "./soak/convergence.js";
import { runFaults } from "./soak/faults.js";
import {
  growingSets,
  growingStringShapes,
  heapSnapshotArgs,
  largestChanges,
  takeHeapSnapshot,
  totalBytes,
  type HeapSummary,
} from "./soak/heap-snapshots.js";
import { createIntents } from "./soak/intents.js";
import { endLeftoverShims } from "./soak/leftover-shims.js";
import { answeredCodes, settledLeaks, steadyLeaks } from "./soak/leak-probes.js";
import { createOutcomeLog } from "./soak/outcomes.js";
import { createRpcCaller, type SoakProtocol } from "./soak/rpc-caller.js";
import { rolledDefinition, rolledReplicas, runSoakClient, type SoakPlan } from "./soak/soak-client.js";
import { checkStateFile } from "./soak/state-check.js";
import {
  cleanupOnExit,
  memoryOf,
  printFigure,
  startDockhandChild,
  startPrivateEngine,
  type DockhandChild,
} from "./support.js";

const seconds = Number(process.env.SOAK_SECONDS ?? 60);
const seed = Number(process.env.SOAK_SEED ?? Date.now() % 2 ** 31);
const clientCount = 64;
const protocols: SoakProtocol[] = ["grpc", "connect", "grpcweb"];
const kills = 20;
const initialReplicas = 2;
const run = `${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
const log = (line: string) => process.stderr.write(`${line}\n`);
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

ensureTestImage();
const engine = await startPrivateEngine("soak");
const docker = createDockerEngine({ url: engine.url }).docker;
const dataDir = mkdtempSync(join(tmpdir(), "dockhand-soak-"));
const snapshotDir = mkdtempSync(join(tmpdir(), "dockhand-soak-heap-"));
let dockhand: DockhandChild | undefined;
const cleanup = cleanupOnExit(async () => {
  await dockhand?.stop();
  await engine.destroy();
  const ended = endLeftoverShims(engine.socketPath);
  if (ended)
    log(`soak: ended ${ended} processes (containerd shims and their containers) that outlived the private engine`);
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(snapshotDir, { recursive: true, force: true });
});

const checks: Array<{ check: string; ok: boolean; detail: string }> = [];
const check = (name: string, ok: boolean, detail: string) => {
  checks.push({ check: name, ok, detail });
  log(`soak: ${ok ? "PASS" : "FAIL"} ${name}: ${detail}`);
};

try {
  log(
    `soak: ${seconds} s, ${clientCount} clients, seed ${seed} (replay with SOAK_SEED=${seed}); engine: a private dockerd at ${engine.url}`,
  );
  dockhand = await startDockhandChild("dockhand-soak", engine.url, heapSnapshotArgs(snapshotDir), { dataDir });
  const { url, pid } = dockhand;
  const registry = createClient(ServiceRegistry, createGrpcTransport({ baseUrl: url }));
  const scaler = createClient(Scaler, createGrpcTransport({ baseUrl: url }));
  const plan: SoakPlan = {
    scaled: Array.from({ length: 10 }, (_, i) => `soak-${run}-scale-${i}`),
    rolled: Array.from({ length: 4 }, (_, i) => `soak-${run}-roll-${i}`),
    createdPrefix: `soak-${run}-new`,
    busy: new Set(),
  };
  for (const name of plan.scaled)
    await registry.createService({ service: { name, image: testImage, command: ["sleep", "3600"], init: true } });
  for (const name of plan.rolled) await registry.createService({ service: rolledDefinition(name, "0") });
  await Promise.all([
    ...plan.scaled.map((name) => scaler.scale({ name, replicas: initialReplicas }, { timeoutMs: 120_000 })),
    ...plan.rolled.map((name) => scaler.scale({ name, replicas: rolledReplicas }, { timeoutMs: 120_000 })),
  ]);
  // Replica counts of the scaled services, generations of the rolled ones.
  const intents = createIntents(
    Object.fromEntries([
      ...plan.scaled.map((name) => [name, String(initialReplicas)]),
      ...plan.rolled.map((name) => [name, "0"]),
    ]),
  );
  let generation = 0;
  await sleep(2000);
  const baseline = await steadyLeaks(url, pid, engine.socketPath);
  log(`soak: baseline ${JSON.stringify(baseline)}`);

  const outcomes = createOutcomeLog();
  const bad = createBadRequestSender(url);
  const rng = createPrng(seed);
  const callers = Array.from({ length: clientCount }, (_, i) => createRpcCaller(url, protocols[i % protocols.length]!));
  const startedAt = performance.now();
  const stopAt = startedAt + seconds * 1000;
  const snapshots: HeapSummary[] = [];
  let rssAt20 = 0;
  const at = (ms: number) => sleep(Math.max(0, startedAt + ms - performance.now()));
  const observer = (async () => {
    await at(15_000);
    snapshots.push(await takeHeapSnapshot(pid, snapshotDir));
    await at(20_000);
    rssAt20 = memoryOf(pid).rssMb;
    log(`soak: RSS at 20 s ${rssAt20.toFixed(1)} MB; heap at 15 s ${mb(totalBytes(snapshots[0]!))} MB`);
    await at(Math.max(25_000, seconds * 800));
    snapshots.push(await takeHeapSnapshot(pid, snapshotDir));
  })();
  const faults = runFaults({
    engine,
    docker,
    scaled: plan.scaled,
    rng: rng.fork(),
    startedAt,
    durationMs: seconds * 1000,
    restartAt: 0.45,
    kills,
    log,
  });
  await Promise.all(
    callers.map((caller, index) =>
      runSoakClient(
        {
          caller,
          index,
          rng: rng.fork(),
          plan,
          intents,
          outcomes,
          sendBad: bad.send,
          created: 0,
          nextGeneration: () => String(++generation),
        },
        stopAt,
      ),
    ),
  );
  const faultReport = await faults;
  await observer;
  for (const caller of callers) caller.close();
  bad.close();
  log(
    `soak: load ended after ${((performance.now() - startedAt) / 1000).toFixed(1)} s; ${faultReport.killed} containers killed (${faultReport.killFailures} kills failed)`,
  );

  const convergence = await waitForConvergence(scaler, [...plan.scaled, ...plan.rolled], 10_000);
  check(
    "convergence",
    convergence.unsettled.length === 0,
    convergence.unsettled.length
      ? `not converged after 10 s: ${convergence.unsettled.join("; ")}`
      : `every service at its desired count ${convergence.seconds.toFixed(1)} s after the end`,
  );

  const graceMs = 5000;
  const unexpected = outcomes.unexpected(faultReport.outage, graceMs);
  const allowed = outcomes.duringOutage(faultReport.outage, graceMs);
  const counts = outcomes.counts();
  const calls = Object.values(counts).reduce((a, b) => a + b, 0);
  check(
    "no unexpected errors",
    unexpected.length === 0,
    `${calls} calls; ${unexpected.length} unexpected` +
      (unexpected.length
        ? ` (${unexpected
            .slice(0, 8)
            .map((a) => `${a.action} over ${a.protocol}: ${a.code} ${a.message}`)
            .join(" | ")})`
        : "") +
      `; ${allowed.length} UNAVAILABLE/DEADLINE_EXCEEDED while the engine was down or within ${graceMs / 1000} s of its return`,
  );

  const serverCodes = await answeredCodes(url);
  const serverFaults = Object.entries(serverCodes)
    .filter(([code]) => /^(internal|unknown)$/i.test(code))
    .reduce((sum, [, n]) => sum + n, 0);
  check("server answers", serverFaults === 0, `dockhand_rpc_requests_total by code: ${JSON.stringify(serverCodes)}`);

  const { probe: end, seconds: leakSeconds } = await settledLeaks(url, pid, engine.socketPath, baseline, 10, 30_000);
  log(
    `soak: counts ${leakSeconds < 30 ? "back" : "NOT back"} to their baseline ${leakSeconds.toFixed(1)} s after the convergence check: ${JSON.stringify(end)}`,
  );
  check(
    "rpc streams",
    end.rpcOpenStreams <= baseline.rpcOpenStreams,
    `dockhand_rpc_open_streams ${end.rpcOpenStreams}, baseline ${baseline.rpcOpenStreams}` +
      (end.openStreams.length ? ` (${end.openStreams.join(", ")})` : ""),
  );
  check(
    "engine streams",
    end.engineOpenStreams <= baseline.engineOpenStreams,
    `dockhand_engine_open_streams ${end.engineOpenStreams}, baseline ${baseline.engineOpenStreams}`,
  );
  check(
    "engine connections",
    end.engineConnections <= baseline.engineConnections,
    `dockhand's connections to the engine socket ${end.engineConnections}, baseline ${baseline.engineConnections}`,
  );
  check("file descriptors", end.fds <= baseline.fds + 10, `${end.fds} open, ${baseline.fds} at the start`);
  check(
    "rss",
    end.rssMb <= rssAt20 * 1.15,
    `${end.rssMb.toFixed(1)} MB at the end, ${rssAt20.toFixed(1)} MB at 20 s (limit 1.15×)`,
  );

  snapshots.push(await takeHeapSnapshot(pid, snapshotDir));
  const growing = growingSets(snapshots, 256 * 1024);
  const heaps = snapshots.map((s) => `${mb(totalBytes(s))} MB`).join(" → ");
  check(
    "heap",
    growing.length === 0,
    `live heap ${heaps}; ` +
      (growing.length
        ? `growing: ${growing
            .slice(0, 5)
            .map((g) => `${g.key} ${g.bytes.map(mb).join("→")} MB (${g.counts.join("→")})`)
            .join("; ")}`
        : "no set grew at every snapshot by more than 256 KB"),
  );
  log(
    `soak: largest heap changes: ${largestChanges(snapshots, 8)
      .map((g) => `${g.key} ${g.bytes.map(mb).join("→")} MB`)
      .join("; ")}`,
  );
  log(
    `soak: strings that grew most in number: ${growingStringShapes(snapshots, 8)
      .map((g) => `${JSON.stringify(g.shape)} ${g.counts.join("→")}`)
      .join("; ")}`,
  );

  const state = checkStateFile(dataDir, plan.scaled, plan.rolled, intents);
  check(
    "state file",
    state.length === 0,
    state.length
      ? state.join("; ")
      : `${plan.scaled.length + plan.rolled.length} services as the clients last set them`,
  );

  console.log(JSON.stringify({ soak: "calls", seconds, clients: clientCount, seed, calls, counts }));
  console.log(
    JSON.stringify({
      soak: "faults",
      engineDownSeconds: faultReport.outage ? (faultReport.outage.to - faultReport.outage.from) / 1000 : null,
      killed: faultReport.killed,
      killFailures: faultReport.killFailures,
    }),
  );
  printFigure({ bench: "soak-rss", unit: "MB", dockhand: end.rssMb, baseline: rssAt20, target: "<=1.15", digits: 1 });
  printFigure({
    bench: "soak-fds",
    unit: "fds",
    dockhand: end.fds,
    baseline: baseline.fds,
    target: "<=baseline+10",
    digits: 0,
  });
  printFigure({
    bench: "soak-rpc-open-streams",
    unit: "streams",
    dockhand: end.rpcOpenStreams,
    baseline: baseline.rpcOpenStreams,
    target: "<=baseline",
    digits: 0,
  });
  printFigure({
    bench: "soak-engine-open-streams",
    unit: "streams",
    dockhand: end.engineOpenStreams,
    baseline: baseline.engineOpenStreams,
    target: "<=baseline",
    digits: 0,
  });
  printFigure({
    bench: "soak-engine-connections",
    unit: "connections",
    dockhand: end.engineConnections,
    baseline: baseline.engineConnections,
    target: "<=baseline",
    digits: 0,
  });
  printFigure({
    bench: "soak-heap",
    unit: "MB",
    dockhand: totalBytes(snapshots.at(-1)!) / 2 ** 20,
    baseline: totalBytes(snapshots[0]!) / 2 ** 20,
    target: "no growing set",
    digits: 1,
  });
  printFigure({
    bench: "soak-convergence",
    unit: "s",
    dockhand: convergence.seconds,
    baseline: null,
    target: "<=10",
    digits: 1,
  });
  for (const c of checks) console.log(JSON.stringify({ soak: "check", ...c }));
  const failed = checks.filter((c) => !c.ok);
  console.log(JSON.stringify({ soak: "result", ok: failed.length === 0, failed: failed.map((c) => c.check) }));
  process.exitCode = failed.length ? 1 : 0;
} finally {
  await cleanup();
}
