import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/engine/engine.js";
import { serviceFilter } from "../../src/model/ownership-labels.js";
import { requireEngine, testImage } from "../support/engine.js";
import {
  removeDataDir,
  removeServiceContainers,
  startTestServer,
  uniqueServiceName,
  type TestServer,
} from "../support/test-server.js";

/**
 * Every kind of bad input, sent to every RPC: each gets the right code, a message naming the
 * field, and leaves the stored state (file, registry and containers) exactly as it was.
 */
describe("bad input to every RPC", () => {
  let engine: Engine;
  let server: TestServer;
  const existing = uniqueServiceName("matrix");
  const definition = { name: existing, image: testImage, command: ["sleep", "3600"], init: true };

  beforeAll(async () => {
    engine = await requireEngine();
    server = await startTestServer(engine, { maxReplicas: 100 });
    await post("dockhand.v1.ServiceRegistry/CreateService", JSON.stringify({ service: definition }));
    await post("dockhand.v1.Scaler/Scale", JSON.stringify({ name: existing, replicas: 1 }));
  });
  afterAll(async () => {
    // The server first: its reconciler would otherwise recreate what is removed.
    await server?.close();
    await removeServiceContainers(engine, [existing]);
    if (server) removeDataDir(server.dataDir);
  });

  async function post(
    procedure: string,
    body: string,
  ): Promise<{ status: number; json: { code?: string; message?: string } }> {
    const res = await fetch(`${server.url}/${procedure}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    return { status: res.status, json: (await res.json()) as { code?: string; message?: string } };
  }

  async function snapshot() {
    const containers = await engine.containers.list({ all: true, labels: [serviceFilter(existing)] });
    return {
      file: readFileSync(join(server.dataDir, "state.json"), "utf8"),
      services: (await post("dockhand.v1.ServiceRegistry/ListServices", "{}")).json,
      containers: containers.map((c) => `${c.id}:${c.state}`).sort(),
    };
  }

  const svc = (change: Record<string, unknown>) => ({ service: { ...definition, ...change } });
  const fresh = () => uniqueServiceName("fresh");

  const definitionCases: Array<[string, () => object, string, string]> = [
    ["missing service", () => ({}), "invalid_argument", "service: is required"],
    ["missing name", () => svc({ name: "" }), "invalid_argument", "service.name: is required"],
    ["missing image", () => svc({ name: fresh(), image: "" }), "invalid_argument", "service.image: is required"],
    [
      "image without tag",
      () => svc({ name: fresh(), image: "dockhand-test/busybox" }),
      "invalid_argument",
      "service.image:",
    ],
    ["invalid name", () => svc({ name: "Not Valid!" }), "invalid_argument", "service.name:"],
    [
      "port 0",
      () => svc({ name: fresh(), ports: [{ containerPort: 0 }] }),
      "invalid_argument",
      "service.ports[0].container_port",
    ],
    [
      "port 70000",
      () => svc({ name: fresh(), ports: [{ containerPort: 70000 }] }),
      "invalid_argument",
      "service.ports[0].container_port",
    ],
    [
      "environment key with =",
      () => svc({ name: fresh(), environment: { "A=B": "1" } }),
      "invalid_argument",
      'service.environment["A=B"]',
    ],
  ];

  const cases: Array<[string, string, () => object | string, string, string]> = [
    ...definitionCases.map(
      ([what, body, code, field]) =>
        [`CreateService: ${what}`, "dockhand.v1.ServiceRegistry/CreateService", body, code, field] as [
          string,
          string,
          () => object,
          string,
          string,
        ],
    ),
    ...definitionCases.map(
      ([what, body, code, field]) =>
        [`UpdateService: ${what}`, "dockhand.v1.ServiceRegistry/UpdateService", body, code, field] as [
          string,
          string,
          () => object,
          string,
          string,
        ],
    ),
    [
      "CreateService: existing name",
      "dockhand.v1.ServiceRegistry/CreateService",
      () => svc({}),
      "already_exists",
      existing,
    ],
    [
      "UpdateService: unknown service",
      "dockhand.v1.ServiceRegistry/UpdateService",
      () => svc({ name: "unknown-svc" }),
      "not_found",
      "unknown-svc",
    ],
    [
      "UpdateService: stale version",
      "dockhand.v1.ServiceRegistry/UpdateService",
      () => svc({ image: "dockhand-test/busybox:2", version: "99" }),
      "aborted",
      "version",
    ],
    [
      "GetService: missing name",
      "dockhand.v1.ServiceRegistry/GetService",
      () => ({}),
      "invalid_argument",
      "name: is required",
    ],
    [
      "GetService: invalid name",
      "dockhand.v1.ServiceRegistry/GetService",
      () => ({ name: "../etc" }),
      "invalid_argument",
      "name:",
    ],
    [
      "GetService: unknown service",
      "dockhand.v1.ServiceRegistry/GetService",
      () => ({ name: "unknown-svc" }),
      "not_found",
      "unknown-svc",
    ],
    [
      "DeleteService: missing name",
      "dockhand.v1.ServiceRegistry/DeleteService",
      () => ({}),
      "invalid_argument",
      "name: is required",
    ],
    [
      "DeleteService: invalid name",
      "dockhand.v1.ServiceRegistry/DeleteService",
      () => ({ name: "UPPER" }),
      "invalid_argument",
      "name:",
    ],
    [
      "DeleteService: unknown service",
      "dockhand.v1.ServiceRegistry/DeleteService",
      () => ({ name: "unknown-svc" }),
      "not_found",
      "unknown-svc",
    ],
    [
      "DeleteService: running without force",
      "dockhand.v1.ServiceRegistry/DeleteService",
      () => ({ name: existing }),
      "failed_precondition",
      "force",
    ],
    [
      "Scale: missing name",
      "dockhand.v1.Scaler/Scale",
      () => ({ replicas: 1 }),
      "invalid_argument",
      "name: is required",
    ],
    [
      "Scale: invalid name",
      "dockhand.v1.Scaler/Scale",
      () => ({ name: "a b", replicas: 1 }),
      "invalid_argument",
      "name:",
    ],
    [
      "Scale: unknown service",
      "dockhand.v1.Scaler/Scale",
      () => ({ name: "unknown-svc", replicas: 1 }),
      "not_found",
      "unknown-svc",
    ],
    [
      "Scale: replicas below 0",
      "dockhand.v1.Scaler/Scale",
      () => ({ name: existing, replicas: -1 }),
      "invalid_argument",
      "replicas: must be between 0 and 100",
    ],
    [
      "Scale: replicas above the maximum",
      "dockhand.v1.Scaler/Scale",
      () => ({ name: existing, replicas: 101 }),
      "invalid_argument",
      "replicas: must be between 0 and 100",
    ],
    ["GetStatus: missing name", "dockhand.v1.Scaler/GetStatus", () => ({}), "invalid_argument", "name: is required"],
    ["GetStatus: invalid name", "dockhand.v1.Scaler/GetStatus", () => ({ name: "-x" }), "invalid_argument", "name:"],
    [
      "GetStatus: unknown service",
      "dockhand.v1.Scaler/GetStatus",
      () => ({ name: "unknown-svc" }),
      "not_found",
      "unknown-svc",
    ],
    ...[
      "ServiceRegistry/ListServices",
      "ServiceRegistry/GetService",
      "ServiceRegistry/CreateService",
      "ServiceRegistry/UpdateService",
      "ServiceRegistry/DeleteService",
      "Scaler/Scale",
      "Scaler/GetStatus",
    ].map(
      (rpc) =>
        [
          `${rpc.split("/")[1]}: malformed JSON`,
          `dockhand.v1.${rpc}`,
          () => '{"name": "x", ',
          "invalid_argument",
          "JSON",
        ] as [string, string, () => string, string, string],
    ),
    [
      "Scale: wrong JSON type",
      "dockhand.v1.Scaler/Scale",
      () => '{"name": "x", "replicas": "many"}',
      "invalid_argument",
      "replicas",
    ],
  ];

  it.each(cases)("%s", async (_what, procedure, body, code, fragment) => {
    const before = await snapshot();
    const payload = body();
    const res = await post(procedure, typeof payload === "string" ? payload : JSON.stringify(payload));
    expect(res.json.code).toBe(code);
    expect(res.json.message).toContain(fragment);
    expect(await snapshot()).toEqual(before);
  });
});
