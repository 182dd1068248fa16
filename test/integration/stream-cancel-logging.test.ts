import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { testImage } from "../support/engine.js";
import { startLoggedServer, type LoggedServer } from "../support/secure-server.js";
import { uniqueServiceName } from "../support/service-names.js";
import { until } from "../support/until.js";

/** A gRPC client that cancels a stream is logged and counted as Canceled, never as an error of ours. */
describe("a stream the client cancels", () => {
  let server: LoggedServer;
  const service = uniqueServiceName("cancel");
  beforeAll(async () => {
    server = await startLoggedServer({});
    await createClient(ServiceRegistry, createGrpcTransport({ baseUrl: server.url })).createService({
      service: { name: service, image: testImage, command: ["sleep", "3600"] },
    });
  });
  afterAll(async () => {
    await createClient(ServiceRegistry, createGrpcTransport({ baseUrl: server.url }))
      .deleteService({ name: service, force: true })
      .catch(() => undefined);
    await server?.stop();
  });

  it("is logged at info with code Canceled", async () => {
    const scaler = createClient(Scaler, createGrpcTransport({ baseUrl: server.url }));
    for (let i = 0; i < 5; i++) {
      const abort = new AbortController();
      try {
        for await (const update of scaler.watchStatus({ name: service }, { signal: abort.signal })) {
          expect(update.status?.name).toBe(service);
          abort.abort();
        }
      } catch (err) {
        if (!abort.signal.aborted) throw err;
      }
    }
    const watchLines = () =>
      server.lines.filter((l) => l.msg === "rpc" && l.procedure === "/dockhand.v1.Scaler/WatchStatus");
    await until(() => watchLines().length === 5);
    for (const line of watchLines()) expect(line).toMatchObject({ code: "Canceled", level: 30 });
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).not.toMatch(/dockhand_rpc\w*\{[^}]*WatchStatus[^}]*code="Internal"/);
  });
});
