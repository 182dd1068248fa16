import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import http2 from "node:http2";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { GetStatusRequestSchema, Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
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
  const store = createContainerStore({ engine, events: engine.events, logger });
  const backoff = createRestartBackoff({ baseMs: 1, capMs: 1 });
  const orchestrator = createLocalOrchestrator({ engine, store, registry, instance: "test", logger, backoff });
  await orchestrator.start();
  const fastPath = createStatusFastPath({
    status: orchestrator.status,
    peek: orchestrator.peekStatus,
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
  closers.push(
    () => orchestrator.close(),
    () => store.close(),
    () => server.close(0),
  );
  const client = createClient(Scaler, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
  return { engine, orchestrator, backoff, client };
}

describe("gRPC GetStatus fast path", () => {
  it("stops answering crash_looping once the slot is marked stable, with no change the view sees", async () => {
    const { engine, orchestrator, backoff, client } = await setup();
    await orchestrator.scale("web", 1, { wait: true });
    // The slot's container dies twice in a row: crash-looping.
    for (let i = 0; i < 2; i++) {
      const container = [...engine.allContainers.values()].find(
        (c) => ownershipOf(c.labels)?.service === "web" && c.state === "running",
      )!;
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

  it("honours the caller's grpc-timeout: a status read that outlasts it ends DEADLINE_EXCEEDED", async () => {
    const logger = pino({ level: "silent" });
    const engine = createFakeEngine();
    const registry = await createServiceRegistry(createStateFile(mkdtempSync(join(tmpdir(), "dockhand-fast-"))));
    const fastPath = createStatusFastPath({
      status: () => new Promise(() => undefined),
      peek: () => undefined,
      metrics: createMetrics({ registry, engine }),
      logger,
    });
    const server = createOnePortServer({ handler: (_req, res) => res.end(), takeStream: fastPath, limits: defaults });
    const { port } = await server.listen(0, "127.0.0.1");
    closers.push(() => server.close(0));
    // A raw HTTP/2 call, so that only the server's deadline can end it (a client enforces its own).
    const session = http2.connect(`http://127.0.0.1:${port}`);
    closers.push(() => session.close());
    const call = session.request({
      ":method": "POST",
      ":path": "/dockhand.v1.Scaler/GetStatus",
      "content-type": "application/grpc",
      te: "trailers",
      "grpc-timeout": "200m",
    });
    const body = toBinary(GetStatusRequestSchema, create(GetStatusRequestSchema, { name: "web" }));
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1);
    frame.set(body, 5);
    call.end(frame);
    call.resume();
    const trailers = await new Promise<http2.IncomingHttpHeaders>((resolve) => call.on("trailers", resolve));
    expect(trailers["grpc-status"]).toBe(String(Code.DeadlineExceeded));
  });
});
