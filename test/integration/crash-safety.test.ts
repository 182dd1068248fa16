import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/engine/engine.js";
import { serviceFilter } from "../../src/model/ownership-labels.js";
import { requireEngine, testImage } from "../support/engine.js";
import { spawnDockhand } from "../support/dockhand-process.js";
import { removeServiceContainers, uniqueServiceName } from "../support/test-server.js";

async function call(url: string, procedure: string, body: object): Promise<Record<string, any>> {
  const res = await fetch(`${url}/${procedure}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return (await res.json()) as Record<string, any>;
}

/** SIGKILL of dockhand in the middle of a scale, then a restart on the same data directory. */
describe("crash safety", () => {
  let engine: Engine;
  const name = uniqueServiceName("sigkill");
  const rolling = uniqueServiceName("sigkill-roll");

  beforeAll(async () => {
    engine = await requireEngine();
  });
  afterAll(async () => {
    await removeServiceContainers(engine, [name, rolling]);
  });

  it("converges after a SIGKILL mid-scale: no duplicate slot, nothing outside the count, no definition lost", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "dockhand-crash-"));
    // Two containers at a time: the scale stays under way long enough for the kill to land in it.
    const first = await spawnDockhand(["--data-dir", dataDir], { DOCKHAND_SCALE_CONCURRENCY: "2" });
    await call(first.url, "dockhand.v1.ServiceRegistry/CreateService", {
      service: { name, image: testImage, command: ["sleep", "3600"], init: true, labels: { keep: "me" } },
    });
    void call(first.url, "dockhand.v1.Scaler/Scale", { name, replicas: 12 }).catch(() => undefined);
    // Kill it once the scale is under way: some containers exist, others do not yet.
    for (let i = 0; i < 200; i++) {
      if ((await engine.containers.list({ all: true, labels: [serviceFilter(name)] })).length >= 3) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    first.child.kill("SIGKILL");
    expect(await first.exited).toBe("SIGKILL");
    const midway = await engine.containers.list({ all: true, labels: [serviceFilter(name)] });
    expect(midway.length).toBeLessThan(12);

    const second = await spawnDockhand(["--data-dir", dataDir]);
    try {
      for (let i = 0; i < 300; i++) {
        const status = await call(second.url, "dockhand.v1.Scaler/GetStatus", { name });
        if (status.status?.running === 12) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const containers = await engine.containers.list({ all: true, labels: [serviceFilter(name)] });
      const names = containers.map((c) => c.name).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
      expect(names).toEqual(Array.from({ length: 12 }, (_, i) => `${name}-${i + 1}`));
      expect(containers.every((c) => c.state === "running")).toBe(true);
      const service = (await call(second.url, "dockhand.v1.ServiceRegistry/GetService", { name })).service;
      expect(service).toMatchObject({ name, replicas: 12, labels: { keep: "me" } });
    } finally {
      second.child.kill("SIGTERM");
      await second.exited;
    }
  });

  it("resumes a rolling update interrupted by a SIGKILL of dockhand", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "dockhand-crash-roll-"));
    const updateConfig = { parallelism: 1, monitor: "1s" };
    const definition = { name: rolling, image: testImage, command: ["sleep", "3600"], init: true, updateConfig };
    const first = await spawnDockhand(["--data-dir", dataDir]);
    await call(first.url, "dockhand.v1.ServiceRegistry/CreateService", { service: definition });
    expect(await call(first.url, "dockhand.v1.Scaler/Scale", { name: rolling, replicas: 3 })).toMatchObject({
      status: { running: 3 },
    });
    await call(first.url, "dockhand.v1.ServiceRegistry/UpdateService", {
      service: { ...definition, environment: { REV: "2" } },
    });
    // Kill it once the first batch is replaced and the rest still runs the old version.
    for (let i = 0; i < 200; i++) {
      const labels = (await engine.containers.list({ all: false, labels: [serviceFilter(rolling)] })).map(
        (c) => c.labels["dockhand.definition"],
      );
      if (labels.includes("2")) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    first.child.kill("SIGKILL");
    await first.exited;

    const second = await spawnDockhand(["--data-dir", dataDir]);
    try {
      let status: Record<string, any> = {};
      for (let i = 0; i < 300; i++) {
        status = await call(second.url, "dockhand.v1.Scaler/GetStatus", { name: rolling });
        if (status.status?.update?.state === "UPDATE_STATE_COMPLETED" && status.status?.running === 3) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(status.status.update).toMatchObject({ state: "UPDATE_STATE_COMPLETED", fromVersion: "1", toVersion: "2" });
      expect(status.status.update.message).toBeUndefined();
      const containers = await engine.containers.list({ all: true, labels: [serviceFilter(rolling)] });
      expect(containers.map((c) => [c.name, c.labels["dockhand.definition"]]).sort()).toEqual([
        [`${rolling}-1`, "2"],
        [`${rolling}-2`, "2"],
        [`${rolling}-3`, "2"],
      ]);
    } finally {
      second.child.kill("SIGTERM");
      await second.exited;
    }
  });
});
