import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import {
  CreateServiceRequestSchema,
  CreateServiceResponseSchema,
  GetServiceRequestSchema,
  GetServiceResponseSchema,
} from "../../gen/dockhand/v1/registry_pb.js";
import { GetStatusRequestSchema, GetStatusResponseSchema } from "../../gen/dockhand/v1/scaler_pb.js";
import { testImage } from "../support/engine.js";
import { grpcJsUnary } from "../support/grpc-js-client.js";
import { bufBin, debianPython, run } from "../support/run.js";
import { useTestServer } from "../support/server-fixture.js";

/** The same handlers answer gRPC (h2c), gRPC-web and Connect JSON on one port. */
describe("one port, three protocols, real clients", () => {
  const fixture = useTestServer();
  const serviceName = (prefix: string) => fixture.service(prefix);

  const curlJson = (procedure: string, body: string, extra: string[] = []) =>
    run("curl", [
      "-sS",
      "--http1.1",
      ...extra,
      "-H",
      "content-type: application/json",
      "-d",
      body,
      `${fixture.server.url}/${procedure}`,
    ]);

  it("curl: Connect JSON over HTTP/1.1 creates, scales and reports", async () => {
    const name = serviceName("curl");
    const created = await curlJson(
      "dockhand.v1.ServiceRegistry/CreateService",
      JSON.stringify({ service: { name, image: testImage, command: ["sleep", "3600"], init: true } }),
    );
    expect(JSON.parse(created.stdout)).toMatchObject({ service: { name, version: "1" } });
    const scaled = await curlJson("dockhand.v1.Scaler/Scale", JSON.stringify({ name, replicas: 2 }));
    expect(JSON.parse(scaled.stdout)).toMatchObject({ status: { name, desired: 2, running: 2 } });
    const status = await curlJson("dockhand.v1.Scaler/GetStatus", JSON.stringify({ name }));
    expect(JSON.parse(status.stdout).status.containers).toHaveLength(2);
  });

  it("curl: Connect JSON over HTTP/2 (prior knowledge) reaches the same handlers", async () => {
    const res = await run("curl", [
      "-sS",
      "--http2-prior-knowledge",
      "-H",
      "content-type: application/json",
      "-d",
      "{}",
      `${fixture.server.url}/dockhand.v1.ServiceRegistry/ListServices`,
    ]);
    expect(res.stderr).toBe("");
    expect(JSON.parse(res.stdout)).toEqual(expect.any(Object));
    expect(res.stdout).not.toContain("code");
  });

  it("curl: malformed JSON is invalid_argument with HTTP 400, and an unknown service is not_found", async () => {
    const bad = await curlJson("dockhand.v1.Scaler/Scale", '{"name": "x", "replicas": ', ["-w", "\n%{http_code}"]);
    const [body, httpCode] = bad.stdout.trim().split("\n");
    expect(httpCode).toBe("400");
    expect(JSON.parse(body!)).toMatchObject({ code: "invalid_argument" });
    const missing = await curlJson("dockhand.v1.Scaler/GetStatus", '{"name": "no-such-service"}', [
      "-w",
      "\n%{http_code}",
    ]);
    const [missingBody, missingCode] = missing.stdout.trim().split("\n");
    expect(missingCode).toBe("404");
    expect(JSON.parse(missingBody!)).toMatchObject({
      code: "not_found",
      message: expect.stringContaining("no-such-service"),
    });
  });

  it("buf curl: gRPC over h2c and gRPC-web, with the same answers", async () => {
    const name = serviceName("bufcurl");
    await curlJson(
      "dockhand.v1.ServiceRegistry/CreateService",
      JSON.stringify({ service: { name, image: testImage } }),
    );
    for (const protocol of [
      ["--protocol", "grpc", "--http2-prior-knowledge"],
      ["--protocol", "grpcweb"],
      ["--protocol", "connect"],
    ]) {
      const res = await run(bufBin, [
        "curl",
        "--schema",
        "proto",
        ...protocol,
        "-d",
        JSON.stringify({ name }),
        `${fixture.server.url}/dockhand.v1.ServiceRegistry/GetService`,
      ]);
      expect(res.stderr).toBe("");
      expect(JSON.parse(res.stdout)).toMatchObject({ service: { name, image: testImage } });
      const missing = await run(bufBin, [
        "curl",
        "--schema",
        "proto",
        ...protocol,
        "-d",
        '{"name":"absent-svc"}',
        `${fixture.server.url}/dockhand.v1.Scaler/GetStatus`,
      ]);
      expect(missing.code).not.toBe(0);
      expect(JSON.parse(missing.stderr)).toMatchObject({ code: "not_found" });
    }
  });

  it("@grpc/grpc-js: unary calls and error codes", async () => {
    const target = fixture.server.url.replace("http://", "");
    const name = serviceName("grpcjs");
    const created = await grpcJsUnary(
      target,
      "/dockhand.v1.ServiceRegistry/CreateService",
      CreateServiceRequestSchema,
      CreateServiceResponseSchema,
      {
        service: { name, image: testImage },
      },
    );
    expect(created.service?.version).toBe(1n);
    const got = await grpcJsUnary(
      target,
      "/dockhand.v1.ServiceRegistry/GetService",
      GetServiceRequestSchema,
      GetServiceResponseSchema,
      { name },
    );
    expect(got.service?.image).toBe(testImage);
    const err = await grpcJsUnary(
      target,
      "/dockhand.v1.Scaler/GetStatus",
      GetStatusRequestSchema,
      GetStatusResponseSchema,
      { name: "absent-svc" },
    ).catch((e: grpc.ServiceError) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.NOT_FOUND);
    const invalid = await grpcJsUnary(
      target,
      "/dockhand.v1.ServiceRegistry/CreateService",
      CreateServiceRequestSchema,
      CreateServiceResponseSchema,
      {
        service: { name: "Bad Name", image: testImage },
      },
    ).catch((e: grpc.ServiceError) => e);
    expect((invalid as grpc.ServiceError).code).toBe(grpc.status.INVALID_ARGUMENT);
    // connect-node percent-encodes grpc-message with encodeURIComponent, and grpc-js decodes it
    // with decodeURI, which leaves reserved characters such as ':' encoded.
    expect(decodeURIComponent((invalid as grpc.ServiceError).details)).toContain("service.name:");
  });

  it("Python grpcio: Create, Scale and GetStatus", async () => {
    const descriptors = join(mkdtempSync(join(tmpdir(), "dockhand-py-")), "dockhand.binpb");
    expect((await run(bufBin, ["build", "-o", descriptors])).code).toBe(0);
    const target = fixture.server.url.replace("http://", "");
    const python = (method: string, request: object) =>
      run(debianPython, [
        "examples/python/dockhand_client.py",
        "--target",
        target,
        "--descriptors",
        descriptors,
        method,
        JSON.stringify(request),
      ]);
    const name = serviceName("python");

    const created = await python("dockhand.v1.ServiceRegistry/CreateService", {
      service: { name, image: testImage, command: ["sleep", "3600"], init: true },
    });
    expect(created.stderr).toBe("");
    expect(JSON.parse(created.stdout)).toMatchObject({ service: { name, version: "1" } });
    const scaled = await python("dockhand.v1.Scaler/Scale", { name, replicas: 2 });
    expect(JSON.parse(scaled.stdout)).toMatchObject({ status: { desired: 2, running: 2 } });
    const status = await python("dockhand.v1.Scaler/GetStatus", { name });
    const containers = JSON.parse(status.stdout).status.containers as Array<{ name: string; state: string }>;
    expect(containers.map((c) => [c.name, c.state])).toEqual([
      [`${name}-1`, "CONTAINER_STATE_RUNNING"],
      [`${name}-2`, "CONTAINER_STATE_RUNNING"],
    ]);
    const missing = await python("dockhand.v1.Scaler/GetStatus", { name: "absent-svc" });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^NOT_FOUND: service "absent-svc" does not exist/);
  });
});
