import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createFakeEngine, type FakeEngine } from "../support/fake-engine.js";
import { createServiceRegistry } from "../../src/registry/service-registry.js";
import { createStateFile } from "../../src/registry/state-file.js";
import { definitionWithDefaults } from "../../src/model/service-definition.js";
import { controllerOver, startLocalParts } from "../support/local-parts.js";
import { createKeyedLock } from "../../src/lib/keyed-lock.js";
import { until } from "../support/until.js";
import { createSlotOperations } from "../../src/orchestrator/local/slot-operations.js";
import type { ContainerView } from "../../src/orchestrator/local/container-view.js";
import { ownershipLabels, ownershipOf } from "../../src/model/ownership-labels.js";
import { createReconciler, type Reconciler } from "../../src/orchestrator/local/reconciler.js";
import { createRestartBackoff } from "../../src/orchestrator/local/restart-backoff.js";
import { createScaler } from "../../src/orchestrator/local/service-scaler.js";

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function setup(options: { orphanGraceMs?: number; backoffBaseMs?: number } = {}) {
  const engine = createFakeEngine();
  engine.addImage("busybox:1");
  const logger = pino({ level: "silent" });
  const registry = await createServiceRegistry(createStateFile(mkdtempSync(join(tmpdir(), "dockhand-rec-"))));
  await registry.create(definitionWithDefaults({ name: "web", image: "busybox:1" }));
  const { view, slots } = await startLocalParts(engine, logger);
  const backoff = createRestartBackoff({ baseMs: options.backoffBaseMs ?? 200, capMs: 1000 });
  const lock = createKeyedLock();
  const localScaler = createScaler({ engine, instance: "test", registry, view, logger, slots, backoff, lock });
  const reconciler = createReconciler({
    scaler: localScaler,
    slots,
    registry,
    view,
    logger,
    orphanGraceMs: options.orphanGraceMs ?? 60_000,
    debounceMs: 5,
  });
  reconciler.start();
  closers.push(
    () => reconciler.close(),
    () => view.close(),
  );
  // Scale as the local orchestrator answers it, through the service controller.
  const scaler = controllerOver(localScaler, { registry, view, logger, lock });
  return { engine, registry, view, slots, scaler, reconciler };
}

function running(engine: FakeEngine, service = "web") {
  return [...engine.allContainers.values()].filter(
    (c) => ownershipOf(c.labels)?.service === service && c.state === "running",
  );
}

describe("reconciler (fake engine)", () => {
  it("replaces a container that dies, in the same slot, and reports why", async () => {
    const { engine, scaler } = await setup();
    await scaler.scale("web", 3, { wait: true });
    const victim = running(engine).find((c) => c.name === "web-2")!;
    engine.exitContainer(victim.id, 3);
    await until(() => running(engine).length === 3 && !engine.allContainers.has(victim.id));
    expect(
      running(engine)
        .map((c) => c.name)
        .sort(),
    ).toEqual(["web-1", "web-2", "web-3"]);
    const status = await scaler.status("web");
    expect(status.failures).toEqual([expect.objectContaining({ slot: 2, exitCode: 3, consecutive: 1 })]);
    expect(status.crashLooping).toBe(false);
  });

  it("replaces a container removed outside dockhand", async () => {
    const { engine, scaler } = await setup();
    await scaler.scale("web", 2, { wait: true });
    const victim = running(engine)[0]!;
    await engine.containers.remove(victim.id, { force: true, volumes: false });
    await until(() => running(engine).length === 2);
  });

  it("replaces an unhealthy container, unless the definition says to ignore it", async () => {
    const { engine, registry, scaler } = await setup();
    await scaler.scale("web", 1, { wait: true });
    const sick = running(engine)[0]!;
    engine.setHealth(sick.id, "unhealthy");
    await until(() => !engine.allContainers.has(sick.id) && running(engine).length === 1);
    expect((await scaler.status("web")).failures[0]?.reason).toBe("unhealthy");

    await registry.update(definitionWithDefaults({ name: "web", image: "busybox:1", replaceUnhealthy: false }), {
      expectedVersion: 0,
      allowMissing: false,
    });
    const tolerated = running(engine)[0]!;
    engine.setHealth(tolerated.id, "unhealthy");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(engine.allContainers.has(tolerated.id)).toBe(true);
  });

  it("backs off a slot that keeps failing, and says the service is crash-looping", async () => {
    const { engine, scaler } = await setup({ backoffBaseMs: 300 });
    await scaler.scale("web", 1, { wait: true });
    const first = running(engine)[0]!;
    engine.exitContainer(first.id, 1);
    await until(() => running(engine).length === 1 && running(engine)[0]!.id !== first.id);
    const second = running(engine)[0]!;
    engine.exitContainer(second.id, 1);
    // The second failure in a row waits out the restart delay before the slot is filled.
    await until(async () => (await scaler.status("web")).crashLooping);
    const status = await scaler.status("web");
    expect(status.running).toBe(0);
    expect(status.failures[0]).toMatchObject({ slot: 1, consecutive: 2 });
    expect(status.failures[0]!.nextAttemptAt.getTime()).toBeGreaterThan(status.failures[0]!.at.getTime());
    await until(() => running(engine).length === 1);
  });

  it("reports orphans and removes them after the grace period, never touching foreign containers", async () => {
    // The grace period is long enough that a slow machine still calls the first resync inside it.
    const { engine, reconciler } = await setup({ orphanGraceMs: 1000 });
    const orphan = await engine.containers.create({
      name: "gone-1",
      image: "busybox:1",
      labels: ownershipLabels({ instance: "test", service: "gone", slot: 1, definitionVersion: 1 }),
    });
    await engine.containers.start(orphan);
    const foreign = await engine.containers.create({ name: "mine", image: "busybox:1", labels: { team: "x" } });
    await engine.containers.start(foreign);
    // Another dockhand's container (another data directory) on the same engine.
    const other = await engine.containers.create({
      name: "other-1",
      image: "busybox:1",
      labels: ownershipLabels({ instance: "other", service: "gone", slot: 1, definitionVersion: 1 }),
    });
    await engine.containers.start(other);
    await until(async () => (await reconciler.orphans()).length === 1);
    expect((await reconciler.orphans())[0]?.container.name).toBe("gone-1");
    await reconciler.resync();
    expect(engine.allContainers.has(orphan)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 1050));
    await reconciler.resync();
    expect(engine.allContainers.has(orphan)).toBe(false);
    expect(engine.allContainers.get(foreign)?.state).toBe("running");
    expect(engine.allContainers.get(other)?.state).toBe("running");
  });

  it("converges every service to its stored count when it starts (a restart of dockhand)", async () => {
    const { engine, registry, view, slots } = await setup();
    await registry.setReplicas("web", 2);
    const logger = pino({ level: "silent" });
    const scaler = createScaler({ engine, instance: "test", registry, view: view as ContainerView, logger, slots });
    const second: Reconciler = createReconciler({ scaler, slots, registry, view, logger, debounceMs: 5 });
    second.start();
    closers.push(() => second.close());
    await until(() => running(engine).length === 2);
  });

  it("closes only once a pass under way has ended, so nothing it creates appears after close", async () => {
    const { engine, registry, view, reconciler: first } = await setup();
    // Only the reconciler under test may act: its engine's creates wait at the gate.
    await first.close();
    let creating = false;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const gatedContainers = new Proxy(engine.containers, {
      get(target, key, receiver) {
        if (key !== "create") return Reflect.get(target, key, receiver);
        return async (...args: Parameters<FakeEngine["containers"]["create"]>) => {
          creating = true;
          await gate;
          return target.create(...args);
        };
      },
    });
    const gated = { ...engine, containers: gatedContainers };
    const logger = pino({ level: "silent" });
    const slots = createSlotOperations({ engine: gated, logger, instance: "test" });
    const scaler = createScaler({
      engine: gated,
      instance: "test",
      registry,
      view: view as ContainerView,
      logger,
      slots,
    });
    const reconciler = createReconciler({ scaler, slots, registry, view, logger, debounceMs: 5 });
    await registry.setReplicas("web", 1);
    reconciler.start();
    await until(() => creating);
    let closed = false;
    const closing = reconciler.close().then(() => (closed = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(closed).toBe(false);
    release();
    await closing;
    expect(running(engine).map((c) => c.name)).toEqual(["web-1"]);
  });
});
