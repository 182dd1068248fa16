import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/engine/engine.js";
import { serviceFilter } from "../../src/scaler/ownership.js";
import { requireEngine, testImage } from "../support/engine.js";
import { spawnDockhand } from "../support/dockhand-process.js";
import { removeServiceContainers, uniqueServiceName } from "../support/test-server.js";

async function call(url: string, procedure: string, body: object): Promise<Record<string, any>> {
  const res = await fetch(`${url}/${procedure}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return (await res.json()) as Record<string, any>;
}

/** SIGKILL of dockhand in the middle of a scale, then a restart on the same data directory. */
describe("crash safety", () => {
  let engine: Engine;
  const name = uniqueServiceName("sigkill");

  beforeAll(async () => {
    engine = await requireEngine();
  });
  afterAll(async () => {
    await removeServiceContainers(engine, [name]);
  });

  it("converges after a SIGKILL mid-scale: no duplicate slot, nothing outside the count, no definition lost", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "dockhand-crash-"));
    const first = await spawnDockhand(["--data-dir", dataDir]);
    await call(first.url, "dockhand.v1.ServiceRegistry/CreateService", { service: { name, image: testImage, command: ["sleep", "3600"], init: true, labels: { keep: "me" } } });
    void call(first.url, "dockhand.v1.Scaler/Scale", { name, replicas: 12 }).catch(() => undefined);
    // Kill it once the scale is under way: some containers exist, others do not yet.
    for (let i = 0; i < 200; i++) {
      if ((await engine.listContainers({ all: true, labels: [serviceFilter(name)] })).length >= 3) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    first.child.kill("SIGKILL");
    expect(await first.exited).toBe("SIGKILL");
    const midway = await engine.listContainers({ all: true, labels: [serviceFilter(name)] });
    expect(midway.length).toBeLessThan(12);

    const second = await spawnDockhand(["--data-dir", dataDir]);
    try {
      for (let i = 0; i < 300; i++) {
        const status = await call(second.url, "dockhand.v1.Scaler/GetStatus", { name });
        if (status.status?.running === 12) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const containers = await engine.listContainers({ all: true, labels: [serviceFilter(name)] });
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
});
