import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { createDockerEngine } from "../../src/engine/docker/docker-engine.js";
import { clientFor } from "../support/clients.js";
import { startSecondEngine, type SecondEngine } from "../support/second-engine.js";
import { removeDataDir, startTestServer, type TestServer } from "../support/test-server.js";
import { until } from "../support/until.js";

const readyz = async (server: TestServer) => (await fetch(`${server.url}/readyz`)).status;

describe("health: grpc.health.v1 and /healthz, /readyz follow the Docker engine", () => {
  let second: SecondEngine;
  let server: TestServer;

  beforeAll(async () => {
    second = await startSecondEngine("health");
    server = await startTestServer(createDockerEngine({ url: second.url }), { dockerUrl: second.url });
  });
  afterAll(async () => {
    await server?.close();
    if (server) removeDataDir(server.dataDir);
    await second?.destroy();
  });

  it("answers SERVING for the server and each service, NOT_FOUND for an unknown one", async () => {
    const health = clientFor(Health, server.url);
    for (const service of [
      "",
      "dockhand.v1.Scaler",
      "dockhand.v1.ServiceRegistry",
      "dockhand.v1.ContainerAgent",
      "grpc.health.v1.Health",
    ]) {
      expect((await health.check({ service })).status).toBe(Status.SERVING);
    }
    const err = await health.check({ service: "no.such.Service" }).catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.NotFound);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(await readyz(server)).toBe(200);
  });

  it("flips to NOT_SERVING while the engine is down and back to SERVING, on Check, Watch and /readyz", async () => {
    const health = clientFor(Health, server.url);
    const controller = new AbortController();
    const watch = health.watch({ service: "" }, { signal: controller.signal })[Symbol.asyncIterator]();
    expect((await watch.next()).value?.status).toBe(Status.SERVING);

    await second.stop("SIGKILL");
    expect((await watch.next()).value?.status).toBe(Status.NOT_SERVING);
    expect((await health.check({ service: "dockhand.v1.Scaler" })).status).toBe(Status.NOT_SERVING);
    expect(await readyz(server)).toBe(503);
    // Liveness is about the process, not the engine.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    await second.start();
    expect((await watch.next()).value?.status).toBe(Status.SERVING);
    await until(async () => (await readyz(server)) === 200);
    expect((await health.check({ service: "" })).status).toBe(Status.SERVING);
    controller.abort();
  });

  it("watches an unknown service as SERVICE_UNKNOWN without failing the stream", async () => {
    const controller = new AbortController();
    const watch = clientFor(Health, server.url).watch({ service: "no.such.Service" }, { signal: controller.signal });
    const first = await watch[Symbol.asyncIterator]().next();
    expect(first.value?.status).toBe(Status.SERVICE_UNKNOWN);
    controller.abort();
  });

  it("starts NOT_SERVING when the engine socket does not exist", async () => {
    const url = `unix:///tmp/dockhand-absent-${process.pid}.sock`;
    const down = await startTestServer(createDockerEngine({ url }), { dockerUrl: url });
    try {
      expect((await clientFor(Health, down.url).check({ service: "" })).status).toBe(Status.NOT_SERVING);
      expect(await readyz(down)).toBe(503);
    } finally {
      await down.close();
      removeDataDir(down.dataDir);
    }
  });
});
