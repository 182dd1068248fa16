import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createServiceRegistry } from "../../src/registry/service-registry.js";
import { createStateFile } from "../../src/registry/state-file.js";
import { definitionWithDefaults } from "../../src/model/service-definition.js";

const web = definitionWithDefaults({ name: "web", image: "busybox:1" });

async function freshRegistry() {
  const dir = mkdtempSync(join(tmpdir(), "dockhand-reg-"));
  return { dir, registry: await createServiceRegistry(createStateFile(dir)) };
}

describe("service registry", () => {
  it("creates at version 1 with 0 replicas and refuses a second create", async () => {
    const { registry } = await freshRegistry();
    const created = await registry.create(web);
    expect(created).toMatchObject({ version: 1, replicas: 0 });
    await expect(registry.create(web)).rejects.toMatchObject({ kind: "AlreadyExists" });
  });

  it("updates with the version read, refuses a stale version with Aborted, and keeps identical updates as they were", async () => {
    const { registry } = await freshRegistry();
    await registry.create(web);
    const v2 = await registry.update({ ...web, image: "busybox:2" }, { expectedVersion: 1, allowMissing: false });
    expect(v2.service.version).toBe(2);
    await expect(
      registry.update({ ...web, image: "busybox:3" }, { expectedVersion: 1, allowMissing: false }),
    ).rejects.toMatchObject({
      kind: "Aborted",
    });
    expect(registry.get("web").definition.image).toBe("busybox:2");
    const same = await registry.update({ ...web, image: "busybox:2" }, { expectedVersion: 2, allowMissing: false });
    expect(same.service.version).toBe(2);
    const unconditional = await registry.update(
      { ...web, image: "busybox:4" },
      { expectedVersion: 0, allowMissing: false },
    );
    expect(unconditional.service.version).toBe(3);
  });

  it("creates on update only with allowMissing", async () => {
    const { registry } = await freshRegistry();
    await expect(registry.update(web, { expectedVersion: 0, allowMissing: false })).rejects.toMatchObject({
      kind: "NotFound",
    });
    const result = await registry.update(web, { expectedVersion: 0, allowMissing: true });
    expect(result.created).toBe(true);
  });

  it("survives a reload: definitions and desired counts come back from disk", async () => {
    const { dir, registry } = await freshRegistry();
    await registry.create(web);
    await registry.setReplicas("web", 4);
    const reloaded = await createServiceRegistry(createStateFile(dir));
    expect(reloaded.get("web")).toMatchObject({ replicas: 4, version: 1, definition: web });
    await reloaded.remove("web");
    expect((await createServiceRegistry(createStateFile(dir))).list()).toEqual([]);
  });

  it("changes nothing, in memory or on disk, when a write fails", async () => {
    const { dir, registry } = await freshRegistry();
    await registry.create(web);
    const failing = await createServiceRegistry({
      path: "x",
      load: () => createStateFile(dir).load(),
      save: () => Promise.reject(new Error("disk full")),
    });
    await expect(failing.setReplicas("web", 9)).rejects.toThrow("disk full");
    expect(failing.get("web").replicas).toBe(0);
  });

  it("refuses invalid definitions before storing anything", async () => {
    const { registry } = await freshRegistry();
    await expect(registry.create({ ...web, image: "busybox" })).rejects.toMatchObject({ kind: "InvalidArgument" });
    expect(registry.list()).toEqual([]);
  });
});
