/**
 * npm run bench:scale — dockhand's Scale 0→20 and 20→0 against plain dockerode doing the same
 * create/start and stop/remove of 20 containers at the same concurrency, on the same image
 * (busybox, init: true, one port published on 127.0.0.1), rounds interleaved in one run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { ServiceRegistry } from "../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../gen/dockhand/v1/scaler_pb.js";
import { runBounded } from "../src/lib/bounded.js";
import { defaults } from "../src/app/config.js";
import { startDockhandServer } from "../src/app/dockhand-server.js";
import { clientFor } from "../test/support/clients.js";
import { dockerUrl, ensureTestImage, requireEngine, testImage } from "../test/support/engine.js";
import { removeServiceContainers } from "../test/support/test-server.js";

const replicas = 20;
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const concurrency = defaults.scaleConcurrency;
const target = 1.15;

const engine = await requireEngine();
ensureTestImage();
const docker = engine.docker;
const dataDir = mkdtempSync(join(tmpdir(), "dockhand-bench-scale-"));
const server = await startDockhandServer({
  config: { ...defaults, port: 0, dataDir, dockerUrl, logLevel: "silent" },
  engine,
  logger: pino({ level: "silent" }),
});
const service = `bench-scale-${process.pid}`;
const baselineLabel = `dockhand-bench-baseline-${process.pid}`;
await clientFor(ServiceRegistry, server.url).createService({
  service: {
    name: service,
    image: testImage,
    command: ["sleep", "3600"],
    init: true,
    ports: [{ containerPort: 80, hostIp: "127.0.0.1" }],
  },
});
const scaler = clientFor(Scaler, server.url);

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

async function baselineUp(): Promise<void> {
  const slots = Array.from({ length: replicas }, (_, i) => i + 1);
  const failure = await runBounded(slots, concurrency, async (slot) => {
    const container = await docker.createContainer({
      name: `${baselineLabel}-${slot}`,
      Image: testImage,
      Cmd: ["sleep", "3600"],
      Labels: { [baselineLabel]: "1" },
      ExposedPorts: { "80/tcp": {} },
      HostConfig: { Init: true, PortBindings: { "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] } },
    });
    await container.start();
  });
  if (failure) throw failure;
}

async function baselineDown(): Promise<void> {
  const containers = await docker.listContainers({ all: true, filters: { label: [baselineLabel] } });
  const failure = await runBounded(containers, concurrency, async (info) => {
    const container = docker.getContainer(info.Id);
    await container.stop({ t: 10 });
    await container.remove({ force: true, v: true });
  });
  if (failure) throw failure;
}

const samples = {
  dockhandUp: [] as number[],
  dockhandDown: [] as number[],
  baselineUp: [] as number[],
  baselineDown: [] as number[],
};
try {
  for (let round = 0; round < rounds; round++) {
    samples.dockhandUp.push(await timed(() => scaler.scale({ name: service, replicas })));
    samples.dockhandDown.push(await timed(() => scaler.scale({ name: service, replicas: 0 })));
    samples.baselineUp.push(await timed(baselineUp));
    samples.baselineDown.push(await timed(baselineDown));
    process.stderr.write(
      `round ${round + 1}/${rounds}: dockhand up ${samples.dockhandUp.at(-1)!.toFixed(2)}s down ${samples.dockhandDown.at(-1)!.toFixed(2)}s, ` +
        `baseline up ${samples.baselineUp.at(-1)!.toFixed(2)}s down ${samples.baselineDown.at(-1)!.toFixed(2)}s\n`,
    );
  }
} finally {
  await removeServiceContainers(engine, [service]);
  await baselineDown().catch(() => undefined);
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const round3 = (value: number) => Math.round(value * 1000) / 1000;
for (const [bench, mine, theirs] of [
  ["scale-up-20", samples.dockhandUp, samples.baselineUp],
  ["scale-down-20", samples.dockhandDown, samples.baselineDown],
] as const) {
  const dockhand = median(mine);
  const baseline = median(theirs);
  console.log(
    JSON.stringify({
      bench,
      unit: "s",
      dockhand: round3(dockhand),
      baseline: round3(baseline),
      ratio: round3(dockhand / baseline),
      target: `<=${target}`,
    }),
  );
}
