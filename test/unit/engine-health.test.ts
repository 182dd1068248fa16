import { describe, expect, it } from "vitest";
import { createClient, createRouterTransport } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../gen/grpc/health/v1/health_pb.js";
import { createFakeEngine } from "../support/fake-engine.js";
import { createEngineHealth, type ServingState } from "../../src/engine/engine-health.js";
import { createHealthService } from "../../src/rpc/health/health-service.js";

describe("engine health", () => {
  it("follows the engine's ping and tells subscribers about each change", async () => {
    const fake = createFakeEngine();
    const health = createEngineHealth({ engine: fake, intervalMs: 60_000 });
    const seen: ServingState[] = [];
    health.subscribe((state) => seen.push(state));
    expect(await health.checkNow()).toBe("SERVING");
    fake.setReachable(false);
    expect(await health.checkNow()).toBe("NOT_SERVING");
    expect(await health.checkNow()).toBe("NOT_SERVING");
    fake.setReachable(true);
    expect(await health.checkNow()).toBe("SERVING");
    expect(seen).toEqual(["SERVING", "NOT_SERVING", "SERVING"]);
    health.close();
  });

  it("serves Check and Watch from it, by service name", async () => {
    const fake = createFakeEngine();
    const health = createEngineHealth({ engine: fake, intervalMs: 60_000 });
    await health.checkNow();
    const client = createClient(
      Health,
      createRouterTransport(({ service }) => service(Health, createHealthService(health, ["dockhand.v1.Scaler"]))),
    );
    expect((await client.check({ service: "dockhand.v1.Scaler" })).status).toBe(Status.SERVING);
    const controller = new AbortController();
    const watch = client.watch({ service: "" }, { signal: controller.signal })[Symbol.asyncIterator]();
    expect((await watch.next()).value?.status).toBe(Status.SERVING);
    fake.setReachable(false);
    await health.checkNow();
    expect((await watch.next()).value?.status).toBe(Status.NOT_SERVING);
    expect((await client.check({ service: "" })).status).toBe(Status.NOT_SERVING);
    controller.abort();
    health.close();
  });
});
