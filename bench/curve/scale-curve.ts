/**
 * scale-curve: dockhand's Scale 0→N and N→0 (with wait) of one service, against raw dockerode
 * creating and starting, then stopping and removing, the same N containers (busybox `sleep`,
 * init: true) at each of several concurrencies, the fastest of which is the baseline.
 */
import type Docker from "dockerode";
import type { Client } from "@connectrpc/connect";
import type { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { runBounded } from "../../src/lib/bounded.js";
import { testImage } from "../../test/support/engine.js";
import { setTimeout as sleep } from "node:timers/promises";
import { memoryOf } from "../support.js";
import { timed } from "./closed-loop.js";
import { callsPer, describeCalls, engineCalls } from "./engine-calls.js";
import { availableMb } from "./host-memory.js";

export interface CurvePoint {
  n: number;
  dockhandUp: number;
  dockhandDown: number;
  /** The fastest raw dockerode time, and the concurrency that gave it. */
  baselineUp: number;
  baselineUpConcurrency: number;
  baselineDown: number;
  baselineDownConcurrency: number;
  /** dockhand's RSS with N containers up, in MB. */
  rssMb: number;
  /** What the machine's MemAvailable dropped by with N containers up, per container, in MB. */
  hostMbPerContainer: number;
  /** Engine calls dockhand made per container, scaling up and down. */
  callsUp: ReturnType<typeof callsPer>;
  callsDown: ReturnType<typeof callsPer>;
}

export interface ScaleCurveOptions {
  scaler: Client<typeof Scaler>;
  service: string;
  docker: Docker;
  dockhandPid: number;
  dockhandUrl: string;
  /** Label marking the baseline's containers, for their removal. */
  baselineLabel: string;
  sizes: readonly number[];
  concurrencies: readonly number[];
  log: (line: string) => void;
}

async function rawUp(docker: Docker, label: string, n: number, concurrency: number): Promise<void> {
  const failure = await runBounded(
    Array.from({ length: n }, (_, i) => i),
    concurrency,
    async (i) => {
      const container = await docker.createContainer({
        name: `${label}-${n}-${i}`,
        Image: testImage,
        Cmd: ["sleep", "3600"],
        Labels: { [label]: "1" },
        HostConfig: { Init: true },
      });
      await container.start();
    },
  );
  if (failure) throw failure;
}

async function rawDown(docker: Docker, label: string, concurrency: number): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: { label: [label] } });
  const failure = await runBounded(containers, concurrency, async (info) => {
    const container = docker.getContainer(info.Id);
    await container.stop({ t: 10 });
    await container.remove({ force: true, v: true });
  });
  if (failure) throw failure;
}

export async function measureScaleCurve(options: ScaleCurveOptions): Promise<CurvePoint[]> {
  const { scaler, service, docker, baselineLabel, log } = options;
  const points: CurvePoint[] = [];
  for (const n of options.sizes) {
    const freeBefore = availableMb();
    const callsBefore = await engineCalls(options.dockhandUrl);
    const dockhandUp = await timed(() =>
      scaler.scale({ name: service, replicas: n, wait: true }, { timeoutMs: 600_000 }),
    );
    const hostMbPerContainer = (freeBefore - availableMb()) / n;
    const rssMb = memoryOf(options.dockhandPid).rssMb;
    // The events of the last containers are read after the answer: let them come in.
    await sleep(2000);
    const callsUpDone = await engineCalls(options.dockhandUrl);
    const callsUp = callsPer(callsBefore, callsUpDone, n);
    const dockhandDown = await timed(() =>
      scaler.scale({ name: service, replicas: 0, wait: true }, { timeoutMs: 600_000 }),
    );
    await sleep(2000);
    const callsDown = callsPer(callsUpDone, await engineCalls(options.dockhandUrl), n);
    let best = { up: Infinity, upAt: 0, down: Infinity, downAt: 0 };
    for (const concurrency of options.concurrencies) {
      const up = await timed(() => rawUp(docker, baselineLabel, n, concurrency));
      const down = await timed(() => rawDown(docker, baselineLabel, concurrency));
      log(`  raw dockerode N=${n} at concurrency ${concurrency}: up ${up.toFixed(2)} s, down ${down.toFixed(2)} s`);
      if (up < best.up) best = { ...best, up, upAt: concurrency };
      if (down < best.down) best = { ...best, down, downAt: concurrency };
    }
    const point = {
      n,
      dockhandUp,
      dockhandDown,
      baselineUp: best.up,
      baselineUpConcurrency: best.upAt,
      baselineDown: best.down,
      baselineDownConcurrency: best.downAt,
      rssMb,
      hostMbPerContainer,
      callsUp,
      callsDown,
    };
    log(
      `N=${n}: dockhand up ${dockhandUp.toFixed(2)} s, down ${dockhandDown.toFixed(2)} s, RSS ${rssMb.toFixed(1)} MB; ` +
        `raw best up ${best.up.toFixed(2)} s (concurrency ${best.upAt}), down ${best.down.toFixed(2)} s (concurrency ${best.downAt}); ` +
        `host memory ${hostMbPerContainer.toFixed(2)} MB per container`,
    );
    log(
      `  engine calls per container by dockhand (raw: 2 each way): up ${describeCalls(callsUp)}; down ${describeCalls(callsDown)}`,
    );
    points.push(point);
  }
  return points;
}

/** Removes whatever a failed baseline round left. */
export async function removeBaselineContainers(docker: Docker, label: string): Promise<void> {
  await rawDown(docker, label, 16).catch(() => undefined);
}
