/**
 * npm run bench:heal — how long a 10-replica service takes to run 10 again after one of its
 * containers is killed (heal-1), and after 5 are killed at once (heal-5): dockhand, seen through
 * GetStatus polled every 20 ms, against a single-node Docker Swarm doing the same, seen through
 * the engine's container list. Medians of BENCH_ROUNDS rounds (default 5) each.
 *
 * Restart backoff is not what is measured: the first failure of a slot is replaced at once, a
 * failure within 10 s of the slot's last start waits. So every round kills other slots than
 * the round before (slot 1, 2, ... for heal-1; 6-10, then 1-5, ... for heal-5) and first waits
 * until each container it kills has run 11 s. Swarm runs with --restart-delay 0s for the same
 * reason (its default delays every replacement by 5 s; BENCH_SWARM_RESTART_DELAY sets it).
 *
 * heal-ready: a 1-replica service with a 1 s health check (`true`); its container is killed
 * once it has run 11 s, and the figure is the time until the replacement is healthy, as
 * GetStatus shows it, against a Swarm service with the same check (`--health-cmd true
 * --health-interval 1s`), seen through the container list's "(healthy)".
 *
 * Both run on a dockerd of the benchmark's own (see startPrivateEngine), which also keeps the
 * shared engine out of swarm mode; the swarm is left and the daemon removed at the end.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type Docker from "dockerode";
import { ServiceRegistry } from "../gen/dockhand/v1/registry_pb.js";
import { ContainerState, HealthStatus, Scaler } from "../gen/dockhand/v1/scaler_pb.js";
import { createDockerEngine } from "../src/engine/docker/docker-engine.js";
import { ensureTestImage, testImage } from "../test/support/engine.js";
import type { SecondEngine } from "../test/support/second-engine.js";
import {
  cleanupOnExit,
  median,
  printFigure,
  startDockhandChild,
  startPrivateEngine,
  type DockhandChild,
} from "./support.js";

const replicas = 10;
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const swarmRestartDelay = process.env.BENCH_SWARM_RESTART_DELAY ?? "0s";
const stableMs = 11_000;
const pollMs = 20;
const roundTimeoutMs = 60_000;
const run = `${process.pid}-${Date.now().toString(36)}`;
const service = `bench-heal-${run}`;
const swarmLabel = "com.docker.swarm.service.name";

/** The 1-replica service with a 1 s health check of the heal-ready figure. */
const readyService = `${service}-ready`;

/** One container of the service as either side reports it. */
interface Member {
  id: string;
  slot: number;
  running: boolean;
  /** Its health check passes. */
  healthy: boolean;
  startedAt: number;
}

/** The service's containers now, as dockhand or Swarm reports them. */
interface Orchestrator {
  members(name?: string): Promise<Member[]>;
}

/** The slots killed in round `round`: a different set each round, as described above. */
function slotsFor(kill: number, round: number): number[] {
  if (kill === 1) return [(round % replicas) + 1];
  const first = round % 2 === 0 ? replicas - kill + 1 : 1;
  return Array.from({ length: kill }, (_, i) => first + i);
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = roundTimeoutMs): Promise<T> {
  const until = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(pollMs);
  }
}

interface Round {
  /** Seconds from the kill until all run again. */
  total: number;
  /** Seconds until the side showed every killed container stopped or gone, and until it showed them all replaced (created). */
  seen: number;
  replaced: number;
}

/** Kills the containers of `slots` once they have run `stableMs`, and times the healing. */
async function healRound(side: Orchestrator, docker: Docker, slots: number[]): Promise<Round> {
  const victims = await waitFor("the slots to be stable", async () => {
    const members = await side.members();
    const chosen = members.filter((m) => slots.includes(m.slot) && m.running);
    const settled = members.filter((m) => m.running).length === replicas && chosen.length === slots.length;
    return settled && chosen.every((m) => Date.now() - m.startedAt >= stableMs) ? chosen : undefined;
  });
  const killed = new Set(victims.map((m) => m.id));
  const before = new Set((await side.members()).map((m) => m.id));
  const started = performance.now();
  const since = () => (performance.now() - started) / 1000;
  let seen: number | undefined;
  let replaced: number | undefined;
  await Promise.all(victims.map((m) => docker.getContainer(m.id).kill()));
  const total = await waitFor("the service to run 10 again", async () => {
    const members = await side.members();
    seen ??= members.every((m) => !killed.has(m.id) || !m.running) ? since() : undefined;
    replaced ??= members.filter((m) => !before.has(m.id)).length >= killed.size ? since() : undefined;
    const healed =
      members.filter((m) => m.running && !killed.has(m.id)).length === replicas &&
      members.every((m) => !killed.has(m.id) || !m.running);
    return healed ? since() : undefined;
  });
  return { total, seen: seen ?? total, replaced: replaced ?? total };
}

/**
 * heal-ready: kills the one container of the health-checked service once it has run
 * `stableMs` (so no restart delay applies), and times until its replacement is healthy.
 */
async function readyRound(side: Orchestrator, docker: Docker): Promise<number> {
  const victim = await waitFor("the health-checked container to be stable", async () => {
    const members = (await side.members(readyService)).filter((m) => m.running && m.healthy);
    return members.length === 1 && Date.now() - members[0]!.startedAt >= stableMs ? members[0] : undefined;
  });
  const started = performance.now();
  await docker.getContainer(victim.id).kill();
  return waitFor("the replacement to be healthy", async () => {
    const members = await side.members(readyService);
    return members.some((m) => m.id !== victim.id && m.running && m.healthy)
      ? (performance.now() - started) / 1000
      : undefined;
  });
}

async function measureReady(name: string, side: Orchestrator, docker: Docker): Promise<number[]> {
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    samples.push(await readyRound(side, docker));
    process.stderr.write(
      `${name}: the health-checked container killed: its replacement healthy after ${samples.at(-1)!.toFixed(3)} s\n`,
    );
  }
  return samples;
}

async function measure(name: string, side: Orchestrator, docker: Docker): Promise<{ one: number[]; five: number[] }> {
  const result = { one: [] as number[], five: [] as number[] };
  for (const [kill, samples] of [
    [1, result.one],
    [5, result.five],
  ] as const) {
    for (let round = 0; round < rounds; round++) {
      const slots = slotsFor(kill, round);
      const timing = await healRound(side, docker, slots);
      samples.push(timing.total);
      process.stderr.write(
        `${name}: killed slot${kill > 1 ? "s" : ""} ${slots.join(",")}: seen stopped after ${timing.seen.toFixed(3)} s, ` +
          `replacements created after ${timing.replaced.toFixed(3)} s, running 10 again after ${timing.total.toFixed(3)} s\n`,
      );
    }
  }
  return result;
}

function dockhandSide(dockhand: DockhandChild): Orchestrator {
  const scaler = createClient(Scaler, createGrpcTransport({ baseUrl: dockhand.url }));
  return {
    async members(name = service) {
      const { status } = await scaler.getStatus({ name });
      return (status?.containers ?? []).map((c) => ({
        id: c.id,
        slot: c.slot,
        running: c.state === ContainerState.RUNNING,
        healthy: c.health === HealthStatus.HEALTHY,
        startedAt: c.startTime ? Number(c.startTime.seconds) * 1000 + c.startTime.nanos / 1e6 : 0,
      }));
    },
  };
}

function swarmSide(docker: Docker): Orchestrator {
  return {
    async members(name = service) {
      const containers = await docker.listContainers({ all: true, filters: { label: [`${swarmLabel}=${name}`] } });
      // The list has no start time, and inspecting on every poll would load the engine that is
      // healing; a task's container starts right after it is created, which is close enough
      // for the stable wait (Swarm's restart delay does not grow with failures anyway).
      return containers.map((c) => ({
        id: c.Id,
        slot: Number(c.Labels["com.docker.swarm.task.name"]?.split(".")[1] ?? 0),
        running: c.State === "running",
        healthy: c.Status.includes("(healthy)"),
        startedAt: c.Created * 1000,
      }));
    },
  };
}

/**
 * `unshare --net` gives the private dockerd a network namespace whose loopback is down, and a
 * swarm manager talks to itself over its advertised 127.0.0.1.
 */
function bringLoopbackUp(engine: SecondEngine): void {
  const pid = readdirSync("/proc").find((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      return args[0]?.endsWith("dockerd") === true && args.includes(engine.url);
    } catch {
      return false;
    }
  });
  if (!pid) throw new Error(`no dockerd process serves ${engine.url}`);
  execFileSync("nsenter", ["-t", pid, "-n", "ip", "link", "set", "lo", "up"]);
}

ensureTestImage();
const engine = await startPrivateEngine("bench-heal");
const docker = createDockerEngine({ url: engine.url }).docker;
const cli = (...args: string[]) =>
  execFileSync("docker", ["-H", engine.url, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
let dockhand: DockhandChild | undefined;
let swarmJoined = false;
const cleanup = cleanupOnExit(async () => {
  await dockhand?.stop();
  if (swarmJoined) {
    // Leaving while the service exists takes its tasks down too; the daemon is removed next.
    try {
      cli("swarm", "leave", "--force");
    } catch (err) {
      console.error(`bench: docker swarm leave failed: ${String(err)}`);
    }
  }
  await engine.destroy();
});

const figures: {
  one: number[];
  five: number[];
  ready: number[];
  swarm: { one: number[]; five: number[]; ready?: number[] } | undefined;
} = {
  one: [],
  five: [],
  ready: [],
  swarm: undefined,
};
try {
  dockhand = await startDockhandChild("dockhand-bench-heal", engine.url);
  await createClient(ServiceRegistry, createGrpcTransport({ baseUrl: dockhand.url })).createService({
    service: { name: service, image: testImage, command: ["sleep", "3600"], init: true },
  });
  await createClient(Scaler, createGrpcTransport({ baseUrl: dockhand.url })).scale(
    { name: service, replicas },
    { timeoutMs: 120_000 },
  );
  Object.assign(figures, await measure("dockhand", dockhandSide(dockhand), docker));
  const registry = createClient(ServiceRegistry, createGrpcTransport({ baseUrl: dockhand.url }));
  await registry.createService({
    service: {
      name: readyService,
      image: testImage,
      command: ["sleep", "3600"],
      init: true,
      healthCheck: { command: ["true"], interval: { seconds: 1n, nanos: 0 } },
    },
  });
  await createClient(Scaler, createGrpcTransport({ baseUrl: dockhand.url })).scale(
    { name: readyService, replicas: 1 },
    { timeoutMs: 120_000 },
  );
  figures.ready = await measureReady("dockhand", dockhandSide(dockhand), docker);
  await dockhand.stop();
  dockhand = undefined;
  // dockhand is gone, so nothing replaces these; the swarm's service gets the same name.
  for (const c of await docker.listContainers({ all: true })) await docker.getContainer(c.Id).remove({ force: true });

  try {
    bringLoopbackUp(engine);
    cli("swarm", "init", "--advertise-addr", "127.0.0.1");
    swarmJoined = true;
  } catch (err) {
    process.stderr.write(`swarm: cannot initialise a single-node swarm here, baseline null: ${String(err)}\n`);
  }
  if (swarmJoined) {
    // --no-resolve-image: the image exists only locally; there is no registry to ask.
    cli(
      "service",
      "create",
      "-d",
      "--no-resolve-image",
      "--name",
      service,
      "--replicas",
      String(replicas),
      "--restart-delay",
      swarmRestartDelay,
      testImage,
      "sleep",
      "3600",
    );
    const side = swarmSide(docker);
    await waitFor(
      "the swarm service to run 10",
      async () => ((await side.members()).filter((m) => m.running).length === replicas ? true : undefined),
      120_000,
    );
    figures.swarm = await measure(`swarm (restart delay ${swarmRestartDelay})`, side, docker);
    cli("service", "rm", service);
    cli(
      "service",
      "create",
      "-d",
      "--no-resolve-image",
      "--name",
      readyService,
      "--replicas",
      "1",
      "--restart-delay",
      swarmRestartDelay,
      "--health-cmd",
      "true",
      "--health-interval",
      "1s",
      testImage,
      "sleep",
      "3600",
    );
    figures.swarm.ready = await measureReady(`swarm (restart delay ${swarmRestartDelay})`, side, docker);
  }
} finally {
  await cleanup();
}

for (const [bench, mine, theirs] of [
  ["heal-1", figures.one, figures.swarm?.one],
  ["heal-5", figures.five, figures.swarm?.five],
  ["heal-ready", figures.ready, figures.swarm?.ready],
] as const) {
  printFigure({
    bench,
    unit: "s",
    dockhand: median(mine),
    baseline: theirs ? median(theirs) : null,
    target: "<1.5",
    digits: 3,
  });
}
