import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import type { Engine } from "../../src/engine/engine.js";
import { requireEngine, testImage } from "../support/engine.js";
import { clientFor } from "../support/clients.js";
import { sample } from "../support/metrics.js";
import {
  removeDataDir,
  removeServiceContainers,
  startTestServer,
  uniqueServiceName,
  type TestServer,
} from "../support/test-server.js";

describe("Prometheus /metrics", () => {
  let engine: Engine;
  let server: TestServer;
  const name = uniqueServiceName("metrics");
  const scrape = async () => {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    return res.text();
  };

  beforeAll(async () => {
    engine = await requireEngine();
    server = await startTestServer(engine);
  });
  afterAll(async () => {
    // The server first: its reconciler would otherwise recreate what is removed.
    await server?.close();
    await removeServiceContainers(engine, [name]);
    if (server) removeDataDir(server.dataDir);
  });

  it("counts RPCs by procedure and code, times them and the engine calls, and counts containers per service", async () => {
    await clientFor(ServiceRegistry, server.url).createService({
      service: { name, image: testImage, command: ["sleep", "3600"], init: true },
    });
    await clientFor(Scaler, server.url).scale({ name, replicas: 1 });
    await clientFor(Scaler, server.url, "connect")
      .getStatus({ name: "t-metrics-absent" })
      .catch(() => undefined);

    const text = await scrape();
    expect(sample(text, 'dockhand_rpc_requests_total{procedure="dockhand.v1.Scaler/Scale",code="OK"}')).toBe(1);
    expect(sample(text, 'dockhand_rpc_requests_total{procedure="dockhand.v1.Scaler/GetStatus",code="NotFound"}')).toBe(
      1,
    );
    expect(sample(text, 'dockhand_rpc_duration_seconds_count{procedure="dockhand.v1.Scaler/Scale",code="OK"}')).toBe(1);
    expect(text).toContain(
      'dockhand_rpc_duration_seconds_bucket{le="0.001",procedure="dockhand.v1.Scaler/Scale",code="OK"}',
    );
    expect(sample(text, 'dockhand_engine_call_duration_seconds_count{operation="createContainer",outcome="ok"}')).toBe(
      1,
    );
    expect(sample(text, 'dockhand_engine_call_duration_seconds_count{operation="startContainer",outcome="ok"}')).toBe(
      1,
    );
    expect(sample(text, `dockhand_service_containers_desired{service="${name}"}`)).toBe(1);
    expect(sample(text, `dockhand_service_containers_running{service="${name}"}`)).toBe(1);
    expect(sample(text, "process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(text).toContain("nodejs_heap_size_used_bytes");
  });

  it("gauges the open response streams, and counts an abandoned one as Canceled", async () => {
    const series = 'dockhand_rpc_open_streams{procedure="dockhand.v1.Scaler/WatchStatus"}';
    const engineSeries = 'dockhand_engine_open_streams{operation="watchEvents"}';
    // The server may follow engine events of its own (its container view).
    const engineBefore = sample(await scrape(), engineSeries) ?? 0;
    const controller = new AbortController();
    const watch = clientFor(Scaler, server.url)
      .watchStatus({ name }, { signal: controller.signal })
      [Symbol.asyncIterator]();
    await watch.next();
    expect(sample(await scrape(), series)).toBe(1);
    // A WatchStatus follows the server's live view and opens no engine stream of its own.
    expect(sample(await scrape(), engineSeries)).toBe(engineBefore);
    controller.abort();
    await watch.next().catch(() => undefined);
    for (let i = 0; i < 50 && sample(await scrape(), series) !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    const text = await scrape();
    expect(sample(text, series)).toBe(0);
    expect(sample(text, engineSeries)).toBe(engineBefore);
    expect(
      sample(text, 'dockhand_rpc_requests_total{procedure="dockhand.v1.Scaler/WatchStatus",code="Canceled"}'),
    ).toBe(1);
  });

  it("follows the engine through one event stream for the whole process, with a list, a Scale and watches in flight", async () => {
    /** Every engine stream open now, whatever its operation. */
    const engineStreams = (text: string) =>
      text
        .split("\n")
        .filter((line) => line.startsWith("dockhand_engine_open_streams{"))
        .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
    const controller = new AbortController();
    const watches = [0, 1].map(() =>
      clientFor(Scaler, server.url).watchStatus({ name }, { signal: controller.signal })[Symbol.asyncIterator](),
    );
    try {
      await Promise.all(watches.map((w) => w.next()));
      const scaling = clientFor(Scaler, server.url).scale({ name, replicas: 3 });
      const listing = clientFor(ContainerAgent, server.url).listContainers({ all: true });
      const during = await scrape();
      await Promise.all([scaling, listing]);
      const after = await scrape();
      expect(engineStreams(during)).toBe(1);
      expect(engineStreams(after)).toBe(1);
      expect(sample(after, 'dockhand_rpc_open_streams{procedure="dockhand.v1.Scaler/WatchStatus"}')).toBe(2);
    } finally {
      controller.abort();
      await Promise.all(watches.map((w) => w.next().catch(() => undefined)));
      await clientFor(Scaler, server.url).scale({ name, replicas: 1 });
    }
  });

  it("serves liveness and answers 404 on other plain paths", async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.url}/nothing-here`)).status).toBe(404);
  });
});
