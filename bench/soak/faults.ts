/**
 * The soak's faults: the private engine stopped (SIGTERM, which also stops its containers) and
 * started again once, and `kills` containers of the scaled services `docker kill`ed at random
 * times, none within a few seconds of the restart.
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type Docker from "dockerode";
import { serviceLabel } from "../../src/model/ownership-labels.js";
import type { Prng } from "../../test/support/fuzz/prng.js";
import type { SecondEngine } from "../../test/support/second-engine.js";
import { endLeftoverShims } from "./leftover-shims.js";
import type { Outage } from "./outcomes.js";

export interface FaultReport {
  outage: Outage | undefined;
  killed: number;
  killFailures: number;
}

export async function runFaults(options: {
  engine: SecondEngine;
  docker: Docker;
  scaled: readonly string[];
  rng: Prng;
  startedAt: number;
  durationMs: number;
  /** When the engine restarts, as a fraction of the run. */
  restartAt: number;
  kills: number;
  log: (line: string) => void;
}): Promise<FaultReport> {
  const { engine, docker, rng, startedAt, durationMs, log } = options;
  const restartMs = durationMs * options.restartAt;
  const quiet = (ms: number) => ms > restartMs - 3000 && ms < restartMs + 12_000;
  const killTimes: number[] = [];
  while (killTimes.length < options.kills) {
    const ms = rng.between(3000, Math.max(3001, durationMs - 5000));
    if (!quiet(ms)) killTimes.push(ms);
  }
  const events = [
    ...killTimes.map((ms) => ({ ms, kind: "kill" as const })),
    { ms: restartMs, kind: "restart" as const },
  ].sort((a, b) => a.ms - b.ms);
  const report: FaultReport = { outage: undefined, killed: 0, killFailures: 0 };
  const scaled = new Set(options.scaled);
  for (const event of events) {
    const wait = startedAt + event.ms - performance.now();
    if (wait > 0) await sleep(wait);
    if (event.kind === "restart") {
      const from = performance.now();
      await engine.stop("SIGTERM");
      // What a host's init does when the engine's service stops: no process of the old engine
      // lives on. A containerd shim that outlived it would hold its containers' mounts, and the
      // restarted engine could then remove none of them (overlay2: device or resource busy).
      endLeftoverShims(engine.socketPath);
      await engine.start();
      report.outage = { from, to: performance.now() };
      log(
        `soak: engine restarted at ${((from - startedAt) / 1000).toFixed(1)} s, down for ${((report.outage.to - from) / 1000).toFixed(1)} s`,
      );
      continue;
    }
    // A victim may be gone before the kill lands, or none may run (all scaled to 0, or not yet
    // restarted after the engine's restart): try again for a few seconds.
    let done = false;
    for (let attempt = 0; attempt < 20 && !done; attempt++) {
      const running = (
        await docker.listContainers({ filters: { label: [serviceLabel], status: ["running"] } }).catch(() => [])
      ).filter((c) => scaled.has(c.Labels[serviceLabel] ?? ""));
      if (running.length)
        done = await docker
          .getContainer(rng.pick(running).Id)
          .kill()
          .then(
            () => true,
            () => false,
          );
      if (!done) await sleep(250);
    }
    if (done) report.killed++;
    else report.killFailures++;
  }
  return report;
}
