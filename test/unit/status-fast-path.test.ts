import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { createFakeEngine } from "../support/fake-engine.js";
import { definitionWithDefaults } from "../../src/model/service-definition.js";
import { createServiceRegistry } from "../../src/registry/service-registry.js";
import { createStateFile } from "../../src/registry/state-file.js";
import { createContainerView } from "../../src/orchestrator/local/container-view.js";
import { ownershipOf } from "../../src/model/ownership-labels.js";
import { createRestartBackoff } from "../../src/orchestrator/local/restart-backoff.js";
import { createScaler } from "../../src/orchestrator/local/service-scaler.js";
import { defaults } from "../../src/app/config.js";
import { createMetrics } from "../../src/transport/metrics.js";
import { createOnePortServer, type OnePortServer } from "../../src/transport/one-port-server.js";
import { createStatusFastPath } from "../../src/transport/status-fast-path.js";

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** The gRPC GetStatus fast path over a real HTTP/2 port, on a scaler over the fake engine. */
async function setup() {
  const engine = createFakeEngine();
  engine.addImage("busybox:1");
  const logger = pino({ level: "silent" });
  const registry = await createServiceRegistry(createStateFile(mkdtempSync(join(tmpdir(), "dockhand-fast-"))));
  await registry.create(definitionWithDefaults({ name: "web", image: "busybox:1" }));
  const view = createContainerView({ engine, events: engine, instance: "test", logger });
  await view.start();
  const backoff = createRestartBackoff({ baseMs: 1, capMs: 1 });
  const scaler = createScaler({ engine, instance: "test", registry, view, logger, backoff });
  const fastPath = createStatusFastPath({ scaler, registry, view, metrics: createMetrics({ registry, engine }), logger });
  const server: OnePortServer = createOnePortServer({
    handler: (_req, res) => {
      res.statusCode = 404;
      res.end();
    },
    takeStream: fastPath,
    limits: defaults,
  });
  const { port } = await server.listen(0, "127.0.0.1");
  closers.push(() => view.close(), () => server.close(0));
  const client = createClient(Scaler, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
  return { engine, scaler, backoff, client };
}

describe("gRPC GetStatus fast path", () => {
  it("stops answering crash_looping once the slot is marked stable, with no change the view sees", async () => {
    const { engine, scaler, backoff, client } = await setup();
    await scaler.scale("web", 1, { wait: true });
    // The slot's container dies twice in a row: crash-looping.
    for (let i = 0; i < 2; i++) {
      const container = [...engine.containers.values()].find((c) => ownershipOf(c.labels)?.service === "web" && c.state === "running")!;
      engine.exitContainer(container.id, 1);
      await scaler.scale("web", 1, { wait: true });
    }
    expect((await scaler.status("web")).crashLooping).toBe(true);
    expect((await client.getStatus({ name: "web" })).status?.crashLooping).toBe(true);
    // What a Scale to the same count does for a container that has run long enough.
    backoff.markStable("web", 1);
    expect((await scaler.status("web")).crashLooping).toBe(false);
    expect((await client.getStatus({ name: "web" })).status?.crashLooping).toBe(false);
  });
});
