import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createFakeEngine } from "../support/fake-engine.js";
import { createServiceRegistry } from "../../src/registry/service-registry.js";
import { createStateFile } from "../../src/registry/state-file.js";
import { definitionWithDefaults, type UpdatePolicy } from "../../src/model/service-definition.js";
import { controllerOver, startLocalParts } from "../support/local-parts.js";
import { createKeyedLock } from "../../src/lib/keyed-lock.js";
import { ownershipOf } from "../../src/model/ownership-labels.js";
import { createRollingUpdater } from "../../src/orchestrator/local/rolling-updater.js";
import { createScaler } from "../../src/orchestrator/local/service-scaler.js";

const closers: Array<() => void> = [];
afterEach(() => closers.splice(0).forEach((close) => close()));

const v1 = definitionWithDefaults({ name: "web", image: "busybox:1", command: ["v1"] });
const v2 = definitionWithDefaults({ name: "web", image: "busybox:1", command: ["v2"] });

async function setup(policy: Partial<UpdatePolicy> = {}, dataDir = mkdtempSync(join(tmpdir(), "dockhand-roll-"))) {
  const engine = createFakeEngine();
  engine.addImage("busybox:1");
  const logger = pino({ level: "silent" });
  const registry = await createServiceRegistry(createStateFile(dataDir));
  const { view, slots } = await startLocalParts(engine, logger);
  const lock = createKeyedLock();
  const localScaler = createScaler({ engine, instance: "test", registry, view, logger, slots, lock });
  const updater = createRollingUpdater({
    instance: "test",
    slots,
    scaler: localScaler,
    registry,
    view,
    engine,
    logger,
  });
  const scaler = controllerOver(localScaler, { registry, view, logger, lock });
  closers.push(
    () => updater.close(),
    () => view.close(),
  );
  const fullPolicy: UpdatePolicy = {
    parallelism: 2,
    delayMs: 0,
    order: "stop-first",
    monitorMs: 0,
    failureAction: "pause",
    minHealthyMs: 0,
    healthyDeadlineMs: 60_000,
    canary: 0,
    autoPromote: false,
    autoRevert: false,
    ...policy,
  };
  await registry.create(v1, fullPolicy);
  await scaler.scale("web", 3, { wait: true });
  return { engine, registry, scaler, updater, view, dataDir };
}

/** Containers of the new definition ("v2") exit soon after they start, as a broken release would. */
function failNewVersion(engine: ReturnType<typeof createFakeEngine>): void {
  const start = engine.containers.start.bind(engine);
  engine.containers.start = async (id) => {
    await start(id);
    if (engine.allContainers.get(id)?.command[0] === "v2") setTimeout(() => engine.exitContainer(id, 1), 5);
  };
}

function containers(engine: ReturnType<typeof createFakeEngine>) {
  return [...engine.allContainers.values()]
    .filter((c) => c.state === "running")
    .map((c) => ({ name: c.name, version: ownershipOf(c.labels)?.definitionVersion, command: c.command }));
}

describe("rolling updater (fake engine)", () => {
  it.each(["stop-first", "start-first"] as const)(
    "replaces every container batch by batch (%s), keeping slot names",
    async (order) => {
      const { engine, registry, updater } = await setup({ order });
      const { service } = await registry.update(v2, { expectedVersion: 1, allowMissing: false });
      expect(service.rollout).toMatchObject({ state: "updating", fromVersion: 1, toVersion: 2 });
      await updater.run("web");
      expect(registry.get("web").rollout?.state).toBe("completed");
      expect(containers(engine).sort((a, b) => a.name.localeCompare(b.name))).toEqual([
        { name: "web-1", version: 2, command: ["v2"] },
        { name: "web-2", version: 2, command: ["v2"] },
        { name: "web-3", version: 2, command: ["v2"] },
      ]);
    },
  );

  it("pauses when a new container fails within the monitor window", async () => {
    const { engine, registry, updater } = await setup({ monitorMs: 30, parallelism: 1 });
    failNewVersion(engine);
    await registry.update(v2, { expectedVersion: 1, allowMissing: false });
    await updater.run("web");
    const rollout = registry.get("web").rollout!;
    expect(rollout.state).toBe("paused");
    expect(rollout.message).toMatch(/exited .*monitor window/);
    // Only the first batch was replaced.
    expect(containers(engine).filter((c) => c.version === 1)).toHaveLength(2);
  });

  it("rolls back to the previous definition when the failure action says so", async () => {
    const { engine, registry, updater } = await setup({ monitorMs: 30, parallelism: 1, failureAction: "rollback" });
    failNewVersion(engine);
    await registry.update(v2, { expectedVersion: 1, allowMissing: false });
    await updater.run("web");
    const stored = registry.get("web");
    expect(stored.rollout).toMatchObject({ state: "rolled_back", toVersion: 3 });
    expect(stored.definition.command).toEqual(["v1"]);
    expect(containers(engine).every((c) => c.command[0] === "v1" && c.version === 3)).toBe(true);
  });

  it("rolls back on request to the previous definition", async () => {
    const { engine, registry, updater } = await setup();
    await registry.update(v2, { expectedVersion: 1, allowMissing: false });
    await updater.run("web");
    await registry.rollback("web");
    await updater.run("web");
    expect(registry.get("web").rollout?.state).toBe("rolled_back");
    expect(containers(engine).map((c) => c.command[0])).toEqual(["v1", "v1", "v1"]);
    await expect((await setup()).registry.rollback("web")).rejects.toMatchObject({ kind: "FailedPrecondition" });
  });

  it("resumes an update left half-way by a crash", async () => {
    const { engine, registry, dataDir } = await setup();
    await registry.update(v2, { expectedVersion: 1, allowMissing: false });
    // dockhand "crashed" before replacing anything: a new process on the same data dir resumes.
    const logger = pino({ level: "silent" });
    const reloaded = await createServiceRegistry(createStateFile(dataDir));
    const { view, slots } = await startLocalParts(engine, logger);
    const updater = createRollingUpdater({
      instance: "test",
      slots,
      scaler: createScaler({ engine, instance: "test", registry: reloaded, view, logger, slots }),
      registry: reloaded,
      view,
      engine,
      logger,
    });
    closers.push(() => view.close());
    updater.resumeAll();
    await updater.run("web");
    expect(reloaded.get("web").rollout?.state).toBe("completed");
    expect(containers(engine).every((c) => c.version === 2)).toBe(true);
  });
});
