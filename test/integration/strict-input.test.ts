import http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/engine/engine.js";
import { serviceFilter } from "../../src/model/ownership-labels.js";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import { StopContainerRequestSchema } from "../../gen/dockhand/v1/agent_containers_pb.js";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { ContainerState } from "../../gen/dockhand/v1/scaler_pb.js";
import { UpdateOrder } from "../../gen/dockhand/v1/service_pb.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { clientFor } from "../support/clients.js";
import { requireEngine, testImage } from "../support/engine.js";
import {
  removeDataDir,
  removeServiceContainers,
  startTestServer,
  uniqueServiceName,
  type TestServer,
} from "../support/test-server.js";
import { until } from "../support/until.js";

/**
 * Strict input: a client's mistake is refused with INVALID_ARGUMENT naming the field, never
 * read as a default, never answered INTERNAL, and changes nothing.
 */
describe("strict input", () => {
  let engine: Engine;
  let server: TestServer;
  const existing = uniqueServiceName("strict");
  const definition = { name: existing, image: testImage, command: ["sleep", "3600"], init: true };

  beforeAll(async () => {
    engine = await requireEngine();
    server = await startTestServer(engine, { maxReplicas: 100 });
    await post("dockhand.v1.ServiceRegistry/CreateService", { service: definition });
    expect((await post("dockhand.v1.Scaler/Scale", { name: existing, replicas: 2 })).status).toBe(200);
  });
  afterAll(async () => {
    await server?.close();
    await removeServiceContainers(engine, [existing]);
    if (server) removeDataDir(server.dataDir);
  });

  async function post(procedure: string, body: unknown, contentType = "application/json") {
    const res = await fetch(`${server.url}/${procedure}`, {
      method: "POST",
      headers: { "content-type": contentType },
      body: typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as { code?: string; message?: string } };
  }

  /** A server-streaming call over Connect JSON: one enveloped request, the end-stream error back. */
  async function postStream(procedure: string, body: string) {
    const bytes = Buffer.from(body);
    const envelope = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), bytes]);
    envelope.writeUInt32BE(bytes.length, 1);
    const res = await fetch(`${server.url}/${procedure}`, {
      method: "POST",
      headers: { "content-type": "application/connect+json" },
      body: envelope,
    });
    const all = Buffer.from(await res.arrayBuffer());
    // Frames until the end-stream one (flag 2), which holds the error.
    for (let at = 0; at + 5 <= all.length;) {
      const length = all.readUInt32BE(at + 1);
      if (all[at]! & 2)
        return (
          JSON.parse(all.subarray(at + 5, at + 5 + length).toString()) as {
            error?: { code?: string; message?: string };
          }
        ).error;
      at += 5 + length;
    }
    return undefined;
  }

  /** One gRPC call with raw request bytes, over HTTP/2: the grpc-status and grpc-message trailers. */
  function grpcRaw(
    procedure: string,
    message: Uint8Array,
    flags = 0,
    contentType = "application/grpc",
  ): Promise<{ status: string; message: string }> {
    return new Promise((resolve, reject) => {
      const session = http2.connect(server.url);
      session.on("error", reject);
      const stream = session.request({
        ":method": "POST",
        ":path": `/${procedure}`,
        "content-type": contentType,
        te: "trailers",
      });
      const frame = Buffer.alloc(5 + message.length);
      frame[0] = flags;
      frame.writeUInt32BE(message.length, 1);
      frame.set(message, 5);
      let headers: http2.IncomingHttpHeaders = {};
      stream.on("response", (h) => (headers = h));
      stream.on("trailers", (t) => (headers = { ...headers, ...t }));
      stream.on("data", () => undefined);
      stream.on("end", () => {
        session.close();
        resolve({
          status: String(headers["grpc-status"]),
          message: decodeURIComponent(String(headers["grpc-message"] ?? "")),
        });
      });
      stream.on("error", reject);
      stream.end(frame);
    });
  }

  async function snapshot() {
    const containers = await engine.containers.list({ all: true, labels: [serviceFilter(existing)] });
    return {
      file: readFileSync(join(server.dataDir, "state.json"), "utf8"),
      containers: containers.map((c) => `${c.id}:${c.state}`).sort(),
    };
  }

  it("refuses the old connector's field name in Scale, and scales nothing to 0", async () => {
    const before = await snapshot();
    const res = await post("dockhand.v1.Scaler/Scale", { name: existing, number: 3 });
    expect(res.json.code).toBe("invalid_argument");
    expect(res.json.message).toContain('"number"');
    expect(res.json.message).toContain('did you mean "replicas"?');
    const typo = await post("dockhand.v1.Scaler/Scale", { name: existing, replcias: 3 });
    expect(typo.json.message).toContain('did you mean "replicas"?');
    expect(await snapshot()).toEqual(before);
  });

  it("requires replicas in Scale: absent is not 0", async () => {
    const before = await snapshot();
    const res = await post("dockhand.v1.Scaler/Scale", { name: existing });
    expect(res.json).toMatchObject({
      code: "invalid_argument",
      message: expect.stringContaining("replicas: is required"),
    });
    const grpc = await clientFor(Scaler, server.url)
      .scale({ name: existing })
      .catch((err: unknown) => ConnectError.from(err));
    expect(grpc).toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringContaining("replicas") });
    expect(await snapshot()).toEqual(before);
  });

  it("requires the definition in CreateService and UpdateService, and refuses a misspelt one", async () => {
    const before = await snapshot();
    for (const rpc of ["CreateService", "UpdateService"]) {
      expect((await post(`dockhand.v1.ServiceRegistry/${rpc}`, {})).json).toMatchObject({
        code: "invalid_argument",
        message: "service: is required",
      });
      const typo = await post(`dockhand.v1.ServiceRegistry/${rpc}`, { service: { ...definition, comand: ["true"] } });
      expect(typo.json).toMatchObject({ code: "invalid_argument", message: expect.stringContaining('"comand"') });
    }
    expect(await snapshot()).toEqual(before);
  });

  it("refuses an unknown JSON field on every RPC, naming it", async () => {
    for (const service of [ServiceRegistry, Scaler, ContainerAgent, Health]) {
      for (const method of service.methods) {
        const procedure = `${service.typeName}/${method.name}`;
        const body = '{"notAField": 1}';
        // Connect over HTTP/1.1 has no bidirectional streams: those go as gRPC with JSON over HTTP/2.
        const bidi = async () => {
          const answer = await grpcRaw(procedure, Buffer.from(body), 0, "application/grpc+json");
          return { code: answer.status === "3" ? "invalid_argument" : answer.status, message: answer.message };
        };
        const error =
          method.methodKind === "unary"
            ? (await post(procedure, body)).json
            : method.methodKind === "bidi_streaming"
              ? await bidi()
              : await postStream(procedure, body);
        expect(error, procedure).toMatchObject({
          code: "invalid_argument",
          message: expect.stringContaining('"notAField"'),
        });
      }
    }
  });

  it("refuses out-of-range enum values and non-normalized durations, over JSON and binary", async () => {
    const before = await snapshot();
    const enumJson = await post("dockhand.v1.ServiceRegistry/UpdateService", {
      service: { ...definition, unhealthyAction: 99 },
    });
    expect(enumJson.json).toMatchObject({
      code: "invalid_argument",
      message: expect.stringMatching(/^service\.unhealthy_action: 99 is not a value of UnhealthyAction/),
    });
    const registry = clientFor(ServiceRegistry, server.url);
    const enumBinary = await registry
      .updateService({ service: { ...definition, updateConfig: { order: 7 as UpdateOrder } } })
      .catch((err: unknown) => ConnectError.from(err));
    expect(enumBinary).toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: expect.stringContaining("service.update_config.order: 7"),
    });
    const agent = clientFor(ContainerAgent, server.url);
    for (const gracePeriod of [
      { seconds: 1n, nanos: -5 },
      { seconds: 0n, nanos: 2_000_000_000 },
      { seconds: 10n ** 15n, nanos: 0 },
    ]) {
      const res = await agent
        .stopContainer({ id: "does-not-matter", gracePeriod })
        .catch((err: unknown) => ConnectError.from(err));
      expect(res).toMatchObject({ code: Code.InvalidArgument, rawMessage: expect.stringContaining("grace_period") });
    }
    expect(await snapshot()).toEqual(before);
  });

  it("answers undecodable protobuf with INVALID_ARGUMENT, over gRPC and Connect", async () => {
    const before = await snapshot();
    for (const bytes of [[0x0a, 0x05, 0x41], [0xff, 0xff, 0xff], [0x0a, 0x02, 0xc3, 0x28], [0x0b]]) {
      const res = await grpcRaw(`dockhand.v1.Scaler/Scale`, new Uint8Array(bytes));
      expect(res.status, `bytes ${bytes.join(",")}`).toBe(String(Code.InvalidArgument));
      expect(res.message).toContain("not a valid protobuf message");
    }
    const compressed = await grpcRaw("dockhand.v1.ServiceRegistry/GetService", new Uint8Array([0x0a, 0x01, 0x61]), 1);
    expect(compressed).toMatchObject({
      status: String(Code.InvalidArgument),
      message: expect.stringContaining("flagged compressed"),
    });
    const cutGzip = await fetch(`${server.url}/dockhand.v1.ServiceRegistry/GetService`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: gzipSync(JSON.stringify({ name: existing })).subarray(0, 12),
    });
    expect(await cutGzip.json()).toMatchObject({
      code: "invalid_argument",
      message: expect.stringContaining("cut short"),
    });
    // A valid message still goes through the same path.
    const valid = toBinary(StopContainerRequestSchema, create(StopContainerRequestSchema, { id: "-bad" }));
    expect((await grpcRaw("dockhand.v1.ContainerAgent/StopContainer", valid)).message).toContain("id:");
    const json = await post(
      "dockhand.v1.Scaler/Scale",
      JSON.stringify({ name: existing, replicas: 0 }),
      "application/proto",
    );
    expect(json).toMatchObject({
      status: 400,
      json: { code: "invalid_argument", message: expect.stringContaining("not a valid protobuf message") },
    });
    expect(await snapshot()).toEqual(before);
  });

  it("never echoes a huge value whole, over gRPC (trailers) or JSON", async () => {
    const huge = "x".repeat(100_000);
    const grpc = await clientFor(ServiceRegistry, server.url)
      .getService({ name: huge })
      .catch((err: unknown) => ConnectError.from(err));
    expect(grpc).toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: expect.stringContaining("(100000 characters)"),
    });
    expect((grpc as ConnectError).rawMessage.length).toBeLessThan(600);
    const unknownKey = await post("dockhand.v1.Scaler/GetStatus", `{"${huge}": 1}`);
    expect(unknownKey.json.code).toBe("invalid_argument");
    expect(unknownKey.json.message!.length).toBeLessThan(600);
    const image = await post("dockhand.v1.ServiceRegistry/CreateService", {
      service: { ...definition, name: uniqueServiceName("huge"), image: `a:${huge}` },
    });
    expect(image.json.code).toBe("invalid_argument");
    expect(image.json.message!.length).toBeLessThan(600);
  });

  it("refuses a malformed digest at CreateService", async () => {
    const before = await snapshot();
    for (const image of [
      `${testImage.split(":")[0]}@sha256:${"z".repeat(64)}`,
      `${testImage.split(":")[0]}@sha256:${"a".repeat(40)}`,
    ]) {
      const res = await post("dockhand.v1.ServiceRegistry/CreateService", {
        service: { ...definition, name: uniqueServiceName("digest"), image },
      });
      expect(res.json).toMatchObject({ code: "invalid_argument", message: expect.stringContaining("service.image:") });
    }
    expect(await snapshot()).toEqual(before);
  });

  it("answers an engine's refusal at start with FAILED_PRECONDITION and its reason", async () => {
    const agent = clientFor(ContainerAgent, server.url);
    const name = `strict-proc-${process.pid}-${Date.now().toString(36)}`;
    const volume = `${name}-vol`;
    const { container } = await agent.createContainer({
      spec: {
        name,
        image: testImage,
        command: ["true"],
        mounts: [{ containerPath: "/proc", source: { case: "volume", value: volume } }],
      },
    });
    const id = container!.id;
    try {
      const res = await agent.startContainer({ id }).catch((err: unknown) => ConnectError.from(err));
      expect(res).toMatchObject({ code: Code.FailedPrecondition, rawMessage: expect.stringContaining("/proc") });
    } finally {
      await engine.containers.remove(id, { force: true, volumes: true });
      await (engine as Engine & { docker: import("dockerode") }).docker
        .getVolume(volume)
        .remove()
        .catch(() => undefined);
    }
  });

  it("leaves a paused container of a service alone and shows it as paused", async () => {
    const agent = clientFor(ContainerAgent, server.url);
    const scaler = clientFor(Scaler, server.url);
    const [first] = (await scaler.getStatus({ name: existing })).status!.containers;
    await agent.pauseContainer({ id: first!.id });
    await until(async () => (await scaler.getStatus({ name: existing })).status!.paused === 1);
    // A full resync, then a Scale to the same count: both must keep the paused container.
    await server.orchestrator.resync();
    const scaled = await scaler.scale({ name: existing, replicas: 2 });
    expect(scaled.status).toMatchObject({ desired: 2, running: 1, paused: 1 });
    const status = (await scaler.getStatus({ name: existing })).status!;
    expect(status.containers.find((c) => c.id === first!.id)?.state).toBe(ContainerState.PAUSED);
    expect(status.containers).toHaveLength(2);
    await agent.unpauseContainer({ id: first!.id });
  });
});
