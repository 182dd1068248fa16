import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { createDockerEngine } from "../../src/engine/docker/docker-engine.js";
import { testImage } from "../support/engine.js";
import { clientFor } from "../support/clients.js";
import { startSecondEngine, type SecondEngine } from "../support/second-engine.js";
import { removeDataDir, startTestServer, type TestServer } from "../support/test-server.js";
import { until } from "../support/until.js";
import { failureOf } from "../support/failure.js";

/**
 * An engine outage, on a dockerd of the test's own so that no other test is disturbed: calls
 * answer UNAVAILABLE, health says NOT_SERVING, and once the engine is back the reconciler
 * restores every count without losing a definition.
 */
describe("engine outage", () => {
  let second: SecondEngine;
  let server: TestServer;

  beforeAll(async () => {
    second = await startSecondEngine("outage");
    second.loadImage(testImage);
    server = await startTestServer(createDockerEngine({ url: second.url }), { dockerUrl: second.url });
  });
  afterAll(async () => {
    await server?.close();
    if (server) removeDataDir(server.dataDir);
    await second?.destroy();
  });

  it("answers UNAVAILABLE while the engine is down and restores the counts when it returns", async () => {
    const registry = clientFor(ServiceRegistry, server.url);
    const scaler = clientFor(Scaler, server.url);
    const health = clientFor(Health, server.url);
    for (const name of ["outage-a", "outage-b"]) {
      await registry.createService({ service: { name, image: testImage, command: ["sleep", "3600"], init: true } });
    }
    await scaler.scale({ name: "outage-a", replicas: 3 });
    await scaler.scale({ name: "outage-b", replicas: 1 });

    await second.stop("SIGKILL");
    await until(async () => (await health.check({ service: "" })).status === Status.NOT_SERVING);
    for (const call of [
      () => scaler.getStatus({ name: "outage-a" }),
      () => scaler.scale({ name: "outage-b", replicas: 2 }),
    ]) {
      const err = await failureOf(call());
      expect(err.code).toBe(Code.Unavailable);
      expect(err.rawMessage).toMatch(/Docker engine/);
    }
    // The desired count of the refused Scale was still stored: it is what the user asked for.
    expect((await registry.getService({ name: "outage-b" })).service?.replicas).toBe(2);

    await second.start();
    const healedMs = await until(async () => {
      const [a, b] = await Promise.all([
        scaler.getStatus({ name: "outage-a" }),
        scaler.getStatus({ name: "outage-b" }),
      ]);
      return a.status?.running === 3 && b.status?.running === 2;
    });
    expect((await health.check({ service: "" })).status).toBe(Status.SERVING);
    const services = (await registry.listServices({})).services;
    expect(services.map((s) => [s.name, s.replicas])).toEqual([
      ["outage-a", 3],
      ["outage-b", 2],
    ]);
    const status = (await scaler.getStatus({ name: "outage-a" })).status!;
    expect(status.containers.map((c) => c.name)).toEqual(["outage-a-1", "outage-a-2", "outage-a-3"]);
    console.info(`engine outage: counts restored ${healedMs} ms after the engine answered again`);
  });
});
