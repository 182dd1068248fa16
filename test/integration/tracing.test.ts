import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { requireEngine, testImage } from "../support/engine.js";
import { spawnDockhand, type DockhandProcess } from "../support/dockhand-process.js";
import { removeDataDir, removeServiceContainers, uniqueServiceName } from "../support/test-server.js";
import { until } from "../support/until.js";

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: OtlpValue }>;
}
interface Received {
  service: string;
  span: OtlpSpan;
}

/** An OTLP/HTTP receiver on loopback: keeps every span of every JSON export it is sent. */
function otlpReceiver(): { server: Server; spans: Received[] } {
  const spans: Received[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      if (req.url === "/v1/traces" && req.headers["content-type"] === "application/json") {
        const request = JSON.parse(body) as {
          resourceSpans: Array<{
            resource: { attributes: Array<{ key: string; value: OtlpValue }> };
            scopeSpans: Array<{ spans: OtlpSpan[] }>;
          }>;
        };
        for (const resource of request.resourceSpans) {
          const service = resource.resource.attributes.find((a) => a.key === "service.name")?.value.stringValue ?? "";
          for (const scope of resource.scopeSpans) for (const span of scope.spans) spans.push({ service, span });
        }
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  return { server, spans };
}

const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue === undefined ? value?.boolValue : Number(value.intValue));
};

/** The variables of docs/operations.md's tracing example (`VAR=value ... npm start`), its endpoint pointed at `address`. */
function documentedEnv(address: string): Record<string, string> {
  const line = /<!-- tracing-test -->\n```bash\n(.*) npm start\n```/.exec(
    readFileSync("docs/operations.md", "utf8"),
  )![1]!;
  const env = Object.fromEntries(line.split(" ").map((pair) => pair.split("=", 2) as [string, string]));
  expect(env.OTEL_EXPORTER_OTLP_ENDPOINT).toBe("http://127.0.0.1:4318");
  return { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: env.OTEL_EXPORTER_OTLP_ENDPOINT!.replace("127.0.0.1:4318", address) };
}

/** A W3C traceparent of a caller's own span, as a client's tracer sends it. */
function callerSpan() {
  const traceId = randomBytes(16).toString("hex");
  const spanId = randomBytes(8).toString("hex");
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

describe("tracing with the standard OTEL_* variables: a span per call on every path, continued from the caller", () => {
  const receiver = otlpReceiver();
  const dataDir = mkdtempSync(join(tmpdir(), "dockhand-tracing-"));
  const name = uniqueServiceName("traced");
  let dockhand: DockhandProcess;

  beforeAll(async () => {
    await new Promise<void>((resolve) => receiver.server.listen(0, "127.0.0.1", resolve));
    const port = (receiver.server.address() as AddressInfo).port;
    dockhand = await spawnDockhand(["--data-dir", dataDir], {
      ...documentedEnv(`127.0.0.1:${port}`),
      OTEL_SERVICE_NAME: "dockhand-under-test",
      OTEL_BSP_SCHEDULE_DELAY: "100",
    });
  });
  afterAll(async () => {
    dockhand?.child.kill("SIGTERM");
    await dockhand?.exited;
    await removeServiceContainers(await requireEngine(), [name]);
    removeDataDir(dataDir);
    receiver.server.close();
  });

  const trace = (traceId: string) => receiver.spans.filter((r) => r.span.traceId === traceId).map((r) => r.span);
  const withParent =
    (traceparent: string): Interceptor =>
    (next) =>
    (req) => {
      req.header.set("traceparent", traceparent);
      return next(req);
    };

  it("traces one Scale over gRPC: the RPC's span under the caller's, Scale under it, the engine's calls under Scale", async () => {
    const plain = createGrpcTransport({ baseUrl: dockhand.url });
    await createClient(ServiceRegistry, plain).createService({
      service: { name, image: testImage, command: ["sleep", "3600"], init: true },
    });
    const caller = callerSpan();
    const traced = createGrpcTransport({ baseUrl: dockhand.url, interceptors: [withParent(caller.traceparent)] });
    await createClient(Scaler, traced).scale({ name, replicas: 1 });

    await until(() => trace(caller.traceId).some((s) => s.name === "docker startContainer"), 30_000);
    await until(() => trace(caller.traceId).some((s) => s.name === "dockhand.v1.Scaler/Scale"), 30_000);
    const spans = trace(caller.traceId);
    const rpc = spans.find((s) => s.name === "dockhand.v1.Scaler/Scale")!;
    expect(rpc.parentSpanId).toBe(caller.spanId);
    expect(rpc.kind).toBe(2); // SERVER
    expect({
      system: attribute(rpc, "rpc.system"),
      service: attribute(rpc, "rpc.service"),
      method: attribute(rpc, "rpc.method"),
      code: attribute(rpc, "rpc.grpc.status_code"),
    }).toEqual({ system: "grpc", service: "dockhand.v1.Scaler", method: "Scale", code: 0 });
    const scale = spans.find((s) => s.name === "Scale")!;
    expect(scale.parentSpanId).toBe(rpc.spanId);
    expect(attribute(scale, "dockhand.service")).toBe(name);

    // Every engine call of the Scale descends from the Scale span; create and start are among them.
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const descendsFromScale = (span: OtlpSpan): boolean => {
      for (let at = byId.get(span.parentSpanId ?? ""); at; at = byId.get(at.parentSpanId ?? ""))
        if (at.spanId === scale.spanId) return true;
      return false;
    };
    const engineCalls = spans.filter((s) => s.name.startsWith("docker "));
    expect(engineCalls.map((s) => s.name)).toEqual(
      expect.arrayContaining(["docker createContainer", "docker startContainer"]),
    );
    expect(engineCalls.filter((s) => !descendsFromScale(s)).map((s) => s.name)).toEqual([]);
    expect(engineCalls.every((s) => s.kind === 3)).toBe(true); // CLIENT
    expect(new Set(receiver.spans.filter((r) => r.span.traceId === caller.traceId).map((r) => r.service))).toEqual(
      new Set(["dockhand-under-test"]),
    );
  });

  it("traces the GetStatus fast path, Connect JSON over HTTP/1.1, the genisys route and the mistify JSON-RPC", async () => {
    const fast = callerSpan();
    const traced = createGrpcTransport({ baseUrl: dockhand.url, interceptors: [withParent(fast.traceparent)] });
    await createClient(Scaler, traced).getStatus({ name });

    const connect = callerSpan();
    const res = await fetch(`${dockhand.url}/dockhand.v1.ServiceRegistry/GetService`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: connect.traceparent },
      body: JSON.stringify({ name: "no-such-service" }),
    });
    expect(res.status).toBe(404);

    const genisys = callerSpan();
    const status = await fetch(`${dockhand.url}/service/${name}/status`, {
      headers: { traceparent: genisys.traceparent },
    });
    expect(await status.json()).toEqual({ running_resources: 1 });

    const mistify = callerSpan();
    const info = await fetch(`${dockhand.url}/_mistify_RPC_`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: mistify.traceparent },
      body: JSON.stringify({ method: "MDocker.GetInfo", params: [{}], id: 1 }),
    });
    expect(((await info.json()) as { error: unknown }).error).toBeNull();

    await until(() => [fast, connect, genisys, mistify].every((caller) => trace(caller.traceId).length > 0), 30_000);
    const [fastSpan] = trace(fast.traceId);
    expect(fastSpan).toMatchObject({ name: "dockhand.v1.Scaler/GetStatus", parentSpanId: fast.spanId, kind: 2 });
    expect(attribute(fastSpan!, "dockhand.fast_path")).toBe(true);
    expect(attribute(fastSpan!, "rpc.grpc.status_code")).toBe(0);

    const [connectSpan] = trace(connect.traceId);
    expect(connectSpan).toMatchObject({ name: "dockhand.v1.ServiceRegistry/GetService", parentSpanId: connect.spanId });
    expect(attribute(connectSpan!, "rpc.system")).toBe("connect_rpc");
    expect(attribute(connectSpan!, "rpc.connect_rpc.error_code")).toBe("not_found");
    expect(attribute(connectSpan!, "http.response.status_code")).toBe(404);

    const [genisysSpan] = trace(genisys.traceId);
    expect(genisysSpan).toMatchObject({ name: "GET /service/{name}/status", parentSpanId: genisys.spanId, kind: 2 });
    expect(attribute(genisysSpan!, "http.route")).toBe("/service/{name}/status");

    const mistifySpan = trace(mistify.traceId).find((s) => s.kind === 2);
    expect(mistifySpan).toMatchObject({ name: "MDocker.GetInfo", parentSpanId: mistify.spanId });
    expect([attribute(mistifySpan!, "rpc.system"), attribute(mistifySpan!, "rpc.method")]).toEqual([
      "jsonrpc",
      "GetInfo",
    ]);
  });
});
