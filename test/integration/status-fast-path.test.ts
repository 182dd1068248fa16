import http2 from "node:http2";
import { toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { Scaler, ServiceStatusSchema } from "../../gen/dockhand/v1/scaler_pb.js";
import { clientFor } from "../support/clients.js";
import { useTestServer } from "../support/server-fixture.js";

/** Sends one raw gRPC request; returns the response body and trailers. */
function rawGrpc(url: string, body: Buffer): Promise<{ trailers: http2.IncomingHttpHeaders; data: Buffer }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(url);
    session.on("error", reject);
    const stream = session.request({
      ":method": "POST",
      ":path": "/dockhand.v1.Scaler/GetStatus",
      "content-type": "application/grpc",
      te: "trailers",
    });
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("trailers", (trailers) => {
      stream.on("close", () => {
        session.close();
        resolve({ trailers, data: Buffer.concat(chunks) });
      });
    });
    stream.on("error", reject);
    stream.end(body);
  });
}

/** gRPC GetStatus is served from a cache outside the Connect stack: it must answer the same. */
describe("GetStatus fast path", () => {
  const fixture = useTestServer();

  it("answers gRPC exactly as the Connect path does, and sees a Scale at once", async () => {
    const name = fixture.service("fast");
    await fixture.createService(name);
    const overGrpc = clientFor(Scaler, fixture.server.url, "grpc");
    const overConnect = clientFor(Scaler, fixture.server.url, "connect");
    for (const replicas of [2, 1, 3]) {
      await overConnect.scale({ name, replicas });
      const fast = (await overGrpc.getStatus({ name })).status!;
      const slow = (await overConnect.getStatus({ name })).status!;
      expect(fast.running).toBe(replicas);
      expect(toJson(ServiceStatusSchema, fast)).toEqual(toJson(ServiceStatusSchema, slow));
    }
    await overConnect.scale({ name, replicas: 0 });
  });

  it("refuses a malformed frame with INVALID_ARGUMENT, and answers errors in trailers", async () => {
    const malformed = await rawGrpc(fixture.server.url, Buffer.from([0, 0, 0, 0, 9, 1]));
    expect(malformed.trailers["grpc-status"]).toBe("3");
    const unknown = Buffer.from([0, 0, 0, 0, 4, 0x0a, 0x02, 0x7a, 0x7a]);
    const missing = await rawGrpc(fixture.server.url, unknown);
    expect(missing.trailers["grpc-status"]).toBe("5");
    expect(decodeURIComponent(String(missing.trailers["grpc-message"]))).toContain('service "zz" does not exist');
  });
});
