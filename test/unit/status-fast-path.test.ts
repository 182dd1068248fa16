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
import { createContainerStore } from "../../src/engine/store/container-store.js";
import { createLocalOrchestrator } from "../../src/orchestrator/local/local-orchestrator.js";
import { ownershipOf } from "../../src/model/ownership-labels.js";
import { createRestartBackoff } from "../../src/orchestrator/local/restart-backoff.js";
import { defaults } from "../../src/app/config.js";
import { createMetrics } from "../../src/transport/metrics.js";
import { createOnePortServer, type OnePortServer } from "../../src/transport/one-port-server.js";
import { createStatusFastPath } from "../../src/transport/status-fast-path.js";

const closers: Array<() => unknown> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** The gRPC GetStatus fast path over a real HTTP/2 port, on the local orchestrator over the fake engine. */
async function setup() {
  const engine = createFakeEngine();
  engine.addImage("busybox:1");
  const logger = pino({ level: "silent" });
  const registry = await createServiceRegistry(createStateFile(mkdtempSync(join(tmpdir(), "dockhand-fast-"))));
  await registry.create(definitionWithDefaults({ name: "web", image: "busybox:1" }));
  const store = createContainerStore({ engine, events: engine, logger });
  const backoff = createRestartBackoff({ baseMs: 1, capMs: 1 });
  const orchestrator = createLocalOrchestrator({ engine, store, registry, instance: "test", logger, backoff });
  await orchestrator.start();
  const fastPath = createStatusFastPath({
    status: orchestrator.status,
    onStatusChange: orchestrator.onStatusChange,
    trusted: store.isTrusted,
    metrics: createMetrics({ registry, engine }),
    logger,
  });
  const server: OnePortServer = createOnePortServer({
    handler: (_req, res) => {
      res.statusCode = 404;
      res.end();
    },
    takeStream: fastPath,
    limits: defaults,
  });
  const { port } = await server.listen(0, "127.0.0.1");
  closers.push(() => orchestrator.close(), () => store.close(), () => server.close(0));
  const client = createClient(Scaler, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
  return { engine, orchestrator, backoff, client };
}

describe("gRPC GetStatus fast path", () => {
  it("stops answering crash_looping once the slot is marked stable, with no change the view sees", async () => {
    const { engine, orchestrator, backoff, client } = await setup();
    await orchestrator.scale("web", 1, { wait: true });
    // The slot's container dies twice in a row: crash-looping.
    for (let i = 0; i < 2; i++) {
      const container = [...engine.containers.values()].find((c) => ownershipOf(c.labels)?.service === "web" && c.state === "running")!;
      engine.exitContainer(container.id, 1);
      await orchestrator.scale("web", 1, { wait: true });
    }
    expect((await orchestrator.status("web")).crashLooping).toBe(true);
    expect((await client.getStatus({ name: "web" })).status?.crashLooping).toBe(true);
    // What a Scale to the same count does for a container that has run long enough.
    backoff.markStable("web", 1);
    expect((await orchestrator.status("web")).crashLooping).toBe(false);
    expect((await client.getStatus({ name: "web" })).status?.crashLooping).toBe(false);
  });
});
