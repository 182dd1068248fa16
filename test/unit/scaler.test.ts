import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createFakeEngine } from "../support/fake-engine.js";
import type { ContainerSpec } from "../../src/engine/types.js";
import { createServiceRegistry } from "../../src/registry/service-registry.js";
import { createStateFile } from "../../src/registry/state-file.js";
import { definitionWithDefaults } from "../../src/model/service-definition.js";
import { createScaler } from "../../src/orchestrator/local/service-scaler.js";
import { ownershipOf } from "../../src/model/ownership-labels.js";
import { controllerOver, startLocalParts } from "../support/local-parts.js";
import { createKeyedLock } from "../../src/lib/keyed-lock.js";

async function setup(concurrency = 4) {
  const engine = createFakeEngine();
  engine.addImage("busybox:1");
  const registry = await createServiceRegistry(createStateFile(mkdtempSync(join(tmpdir(), "dockhand-scaler-"))));
  const logger = pino({ level: "silent" });
  const { view, slots } = await startLocalParts(engine, logger);
  const lock = createKeyedLock();
  const scaler = controllerOver(
    createScaler({ engine, instance: "test", registry, view, logger, slots, concurrency, lock }),
    { registry, view, logger, lock },
    50,
  );
  await registry.create(definitionWithDefaults({ name: "web", image: "busybox:1" }));
  return { engine, registry, scaler, view, logger };
}

function running(engine: ReturnType<typeof createFakeEngine>, service = "web") {
  return [...engine.allContainers.values()].filter(
    (c) => ownershipOf(c.labels)?.service === service && c.state === "running",
  );
}

describe("scaler (fake engine)", () => {
  it("scales up into slots 1..N and down removing the newest", async () => {
    const { engine, scaler } = await setup();
    const up = await scaler.scale("web", 5, { wait: true });
    expect(up.running).toBe(5);
    expect(up.containers.map((c) => c.name)).toEqual(["web-1", "web-2", "web-3", "web-4", "web-5"]);
    await scaler.scale("web", 2, { wait: true });
    expect(
      running(engine)
        .map((c) => c.name)
        .sort(),
    ).toEqual(["web-1", "web-2"]);
    expect(engine.allContainers.size).toBe(2);
  });

  it("removes containers that are not running first, and refills their slots", async () => {
    const { engine, scaler } = await setup();
    await scaler.scale("web", 3, { wait: true });
    const victim = [...engine.allContainers.values()].find((c) => c.name === "web-2")!;
    engine.exitContainer(victim.id, 1);
    const status = await scaler.scale("web", 3, { wait: true });
    expect(status.running).toBe(3);
    expect(engine.allContainers.has(victim.id)).toBe(false);
    expect(status.containers.map((c) => c.name)).toEqual(["web-1", "web-2", "web-3"]);
  });

  it("never touches containers without its labels", async () => {
    const { engine, scaler } = await setup();
    const foreign = await engine.containers.create({
      name: "someone-else",
      image: "busybox:1",
      labels: {},
    } satisfies ContainerSpec);
    await engine.containers.start(foreign);
    await scaler.scale("web", 2, { wait: true });
    await scaler.scale("web", 0, { wait: true });
    expect(engine.allContainers.get(foreign)?.state).toBe("running");
  });

  it("serializes concurrent calls: the last request wins and the count never exceeds the largest request", async () => {
    const { engine, scaler } = await setup(2);
    let peak = 0;
    const originalStart = engine.containers.start.bind(engine);
    engine.containers.start = async (id) => {
      await originalStart(id);
      peak = Math.max(peak, running(engine).length);
    };
    const counts = [7, 3, 12, 1, 9, 4, 0, 6, 11, 2, 8, 5, 10, 3, 7, 4];
    const results = await Promise.allSettled(counts.map((n) => scaler.scale("web", n, { wait: true })));
    expect(running(engine)).toHaveLength(4);
    expect(peak).toBeLessThanOrEqual(Math.max(...counts));
    const last = results.at(-1)!;
    expect(last.status).toBe("fulfilled");
    for (const result of results.slice(0, -1)) {
      if (result.status === "rejected") expect(result.reason).toMatchObject({ kind: "Aborted" });
    }
  });

  it("stores the count and returns at once with wait=false", async () => {
    const { engine, registry, scaler } = await setup();
    await scaler.scale("web", 3, { wait: false });
    expect(registry.get("web").replicas).toBe(3);
    await scaler.scale("web", 3, { wait: true });
    expect(running(engine)).toHaveLength(3);
  });

  it("reports how far it got when the engine fails part-way", async () => {
    const { engine, scaler } = await setup(1);
    let creates = 0;
    const originalCreate = engine.containers.create.bind(engine);
    engine.containers.create = async (spec) => {
      if (++creates === 3) engine.setReachable(false);
      return originalCreate(spec);
    };
    const err = await scaler.scale("web", 5, { wait: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "Unavailable" });
    engine.setReachable(true);
    expect(running(engine)).toHaveLength(2);
    for (const c of engine.allContainers.values()) expect(ownershipOf(c.labels)?.service).toBe("web");
  });

  it("refuses counts outside 0..max, unknown services, and fixed host ports with more than one replica", async () => {
    const { registry, scaler } = await setup();
    await expect(scaler.scale("web", -1, { wait: true })).rejects.toMatchObject({
      kind: "InvalidArgument",
      message: expect.stringContaining("replicas"),
    });
    await expect(scaler.scale("web", 51, { wait: true })).rejects.toMatchObject({ kind: "InvalidArgument" });
    await expect(scaler.scale("nope", 1, { wait: true })).rejects.toMatchObject({ kind: "NotFound" });
    await registry.update(
      definitionWithDefaults({
        name: "web",
        image: "busybox:1",
        ports: [{ containerPort: 80, protocol: "tcp", hostPort: 8080, hostIp: "127.0.0.1" }],
      }),
      { expectedVersion: 0, allowMissing: false },
    );
    await expect(scaler.scale("web", 2, { wait: true })).rejects.toMatchObject({ kind: "FailedPrecondition" });
    expect(registry.get("web").replicas).toBe(0);
  });

  it("deletes: refuses while containers run, scales to 0 first with force", async () => {
    const { engine, registry, scaler } = await setup();
    await scaler.scale("web", 2, { wait: true });
    await expect(scaler.deleteService("web", false)).rejects.toMatchObject({ kind: "FailedPrecondition" });
    expect(registry.find("web")).toBeDefined();
    expect(await scaler.deleteService("web", true)).toBe(2);
    expect(registry.find("web")).toBeUndefined();
    expect(engine.allContainers.size).toBe(0);
  });
});
