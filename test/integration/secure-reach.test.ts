import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http2 from "node:http2";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { Code, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ListServicesRequestSchema,
  ListServicesResponseSchema,
  ServiceRegistry,
} from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { testImage } from "../support/engine.js";
import { bufBin, debianPython, run } from "../support/run.js";
import { startLoggedServer, type LoggedServer } from "../support/secure-server.js";
import { createTestPki, fingerprintOf, type TestPki } from "../support/test-pki.js";
import { makeTokens, writeTokensFile } from "../support/tokens-file.js";
import { uniqueServiceName } from "../support/service-names.js";
import { until } from "../support/until.js";
import { spawnDockhand } from "../support/dockhand-process.js";
import { failureOf } from "../support/failure.js";

const pki: TestPki = createTestPki();
const tokens = makeTokens();
const work = mkdtempSync(join(tmpdir(), "dockhand-secure-test-"));
const tokensFile = join(work, "tokens.yml");
const ca = readFileSync(pki.caCert);
const dashboardOrigin = "http://127.0.0.1:8089";

function bearer(token: string | undefined): Interceptor[] {
  return token === undefined
    ? []
    : [
        (next) => (req) => {
          req.header.set("authorization", `Bearer ${token}`);
          return next(req);
        },
      ];
}

type Protocol = "grpc" | "connect" | "grpcweb";
function tlsClient<T extends typeof ServiceRegistry | typeof Scaler | typeof Health>(
  service: T,
  url: string,
  token?: string,
  protocol: Protocol = "grpc",
) {
  const common = { baseUrl: url, nodeOptions: { ca }, interceptors: bearer(token) };
  const transport =
    protocol === "grpc"
      ? createGrpcTransport(common)
      : protocol === "grpcweb"
        ? createGrpcWebTransport({ ...common, httpVersion: "1.1" })
        : createConnectTransport({ ...common, httpVersion: "1.1" });
  return createClient(service, transport);
}

let server: LoggedServer;
const created: string[] = [];

beforeAll(async () => {
  writeTokensFile(tokensFile, Object.values(tokens));
  server = await startLoggedServer({
    tlsCert: pki.serverCert,
    tlsKey: pki.serverKey,
    authTokensFile: tokensFile,
    corsOrigins: [dashboardOrigin],
    headerTimeoutMs: 3000,
  });
});

afterAll(async () => {
  const admin = tlsClient(ServiceRegistry, server.url, tokens.admin.token);
  for (const name of created) await admin.deleteService({ name, force: true }).catch(() => undefined);
  await server?.stop();
  pki.remove();
  rmSync(work, { recursive: true, force: true });
});

describe("TLS with tokens and roles", () => {
  it("serves gRPC, Connect and gRPC-web over TLS with a token, on the one port", async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const name = uniqueServiceName("tls");
    created.push(name);
    await tlsClient(ServiceRegistry, server.url, tokens.admin.token).createService({
      service: { name, image: testImage, command: ["sleep", "3600"] },
    });
    for (const protocol of ["grpc", "connect", "grpcweb"] as const) {
      const answer = await tlsClient(ServiceRegistry, server.url, tokens.viewer.token, protocol).listServices({});
      expect(
        answer.services.map((s) => s.name),
        protocol,
      ).toContain(name);
    }
  });

  it("refuses a call without credentials, or with bad ones, as UNAUTHENTICATED, the same way", async () => {
    const none = await failureOf(tlsClient(ServiceRegistry, server.url).listServices({}));
    expect(none.code).toBe(Code.Unauthenticated);
    const unknown = await failureOf(tlsClient(ServiceRegistry, server.url, "not-a-token").listServices({}));
    const wrongCase = await failureOf(
      tlsClient(ServiceRegistry, server.url, tokens.viewer.token.toUpperCase()).listServices({}),
    );
    expect([unknown.code, wrongCase.code]).toEqual([Code.Unauthenticated, Code.Unauthenticated]);
    // Nothing tells an unknown token from a malformed one.
    expect(unknown.rawMessage).toBe(wrongCase.rawMessage);
    // GetStatus over gRPC (answered by its fast path when allowed) refuses the same way.
    const status = await failureOf(tlsClient(Scaler, server.url).getStatus({ name: "nothing-here" }));
    expect(status.code).toBe(Code.Unauthenticated);
    const allowed = await failureOf(
      tlsClient(Scaler, server.url, tokens.viewer.token).getStatus({ name: "nothing-here" }),
    );
    expect(allowed.code).toBe(Code.NotFound);
  });

  it("refuses a call above the caller's role as PERMISSION_DENIED naming the role it needs", async () => {
    const viewerScale = await failureOf(
      tlsClient(Scaler, server.url, tokens.viewer.token).scale({ name: "nothing-here", replicas: 1 }),
    );
    expect(viewerScale.code).toBe(Code.PermissionDenied);
    expect(viewerScale.rawMessage).toContain("operator");

    const name = uniqueServiceName("secure");
    created.push(name);
    const operator = tlsClient(ServiceRegistry, server.url, tokens.operator.token, "connect");
    await operator.createService({ service: { name, image: testImage, command: ["sleep", "3600"], init: true } });
    const deleting = await failureOf(operator.deleteService({ name }));
    expect(deleting.code).toBe(Code.PermissionDenied);
    expect(deleting.rawMessage).toContain("admin");
    expect((await tlsClient(ServiceRegistry, server.url, tokens.viewer.token).getService({ name })).service?.name).toBe(
      name,
    );
    await tlsClient(ServiceRegistry, server.url, tokens.admin.token).deleteService({ name });
  });

  it("tells a cleartext client on the TLS port to use https://, instead of an empty reply", async () => {
    const plain = await run("curl", [
      "-sS",
      "-w",
      "\n%{http_code}",
      server.url.replace("https://", "http://") + "/healthz",
    ]);
    const lines = plain.stdout.trim().split("\n");
    const [body, status] = [lines[0], lines.at(-1)];
    expect(status).toBe("400");
    expect(body).toBe("this port speaks TLS: use https:// (or a TLS client)");
    // The same port still serves TLS.
    const secure = await run("curl", [
      "-sS",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      "--cacert",
      pki.caCert,
      `${server.url}/healthz`,
    ]);
    expect(secure.stdout).toBe("200");
  });

  it("leaves health open without credentials: grpc.health.v1, /healthz and /readyz", async () => {
    expect((await tlsClient(Health, server.url).check({})).status).toBe(HealthCheckResponse_ServingStatus.SERVING);
    for (const path of ["/healthz", "/readyz", "/metrics"]) {
      const result = await run("curl", [
        "-sS",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--cacert",
        pki.caCert,
        `${server.url}${path}`,
      ]);
      expect(result.stdout, path).toBe("200");
    }
  });

  it("writes one audit line per changing call, with caller, role, procedure and outcome, and never a token", async () => {
    const name = uniqueServiceName("audit");
    created.push(name);
    const registry = tlsClient(ServiceRegistry, server.url, tokens.operator.token);
    await registry.createService({ service: { name, image: testImage, command: ["sleep", "3600"] } });
    await failureOf(tlsClient(Scaler, server.url, tokens.viewer.token).scale({ name, replicas: 0 }));
    await until(() => server.lines.some((l) => l.audit && l.procedure === "/dockhand.v1.Scaler/Scale"));
    const audit = server.lines.filter((l) => l.audit === true);
    expect(audit).toContainEqual(
      expect.objectContaining({
        caller: "test-operator",
        role: "operator",
        procedure: "/dockhand.v1.ServiceRegistry/CreateService",
        outcome: "OK",
      }),
    );
    expect(audit).toContainEqual(
      expect.objectContaining({ procedure: "/dockhand.v1.Scaler/Scale", outcome: "PermissionDenied" }),
    );
    // Reading calls are not audited.
    expect(audit.some((l) => l.procedure === "/dockhand.v1.ServiceRegistry/ListServices")).toBe(false);
    for (const t of Object.values(tokens)) expect(server.text()).not.toContain(t.token);
  });

  it("stops honouring a revoked token within seconds of the file changing, with no restart", async () => {
    const revoked = { ...tokens.operator, name: "short-lived", token: `${tokens.operator.token}-2` };
    writeTokensFile(tokensFile, [...Object.values(tokens), revoked]);
    await until(
      async () => (await tlsClient(ServiceRegistry, server.url, revoked.token).listServices({})).services !== undefined,
      20_000,
    );
    writeTokensFile(tokensFile, Object.values(tokens));
    await until(
      async () =>
        (await failureOf(tlsClient(ServiceRegistry, server.url, revoked.token).listServices({}))).code ===
        Code.Unauthenticated,
      20_000,
    );
    // The tokens still in the file go on working, and see what an admin sees.
    const names = async (token: string) =>
      (await tlsClient(ServiceRegistry, server.url, token).listServices({})).services.map((s) => s.name);
    expect(await names(tokens.operator.token)).toEqual(await names(tokens.admin.token));
  });
});

describe("real clients over TLS", () => {
  it("curl --cacert with a bearer header: Connect JSON over HTTP/1.1 and HTTP/2", async () => {
    for (const version of ["--http1.1", "--http2"]) {
      const result = await run("curl", [
        "-sS",
        version,
        "--cacert",
        pki.caCert,
        "-H",
        `authorization: Bearer ${tokens.viewer.token}`,
        "-H",
        "content-type: application/json",
        "-d",
        "{}",
        `${server.url}/dockhand.v1.ServiceRegistry/ListServices`,
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout), version).toBeTypeOf("object");
    }
    const refused = await run("curl", [
      "-sS",
      "--cacert",
      pki.caCert,
      "-H",
      "content-type: application/json",
      "-d",
      "{}",
      `${server.url}/dockhand.v1.ServiceRegistry/ListServices`,
    ]);
    expect(JSON.parse(refused.stdout)).toMatchObject({ code: "unauthenticated" });
  });

  it("buf curl with TLS over gRPC and gRPC-web, using reflection with the same token", async () => {
    for (const protocol of ["grpc", "grpcweb"]) {
      const result = await run(bufBin, [
        "curl",
        "--protocol",
        protocol,
        "--cacert",
        pki.caCert,
        "-H",
        `authorization: Bearer ${tokens.viewer.token}`,
        "--reflect-header",
        "*",
        "-d",
        "{}",
        `${server.url}/dockhand.v1.ServiceRegistry/ListServices`,
      ]);
      expect(result.code, `${protocol}: ${result.stderr}`).toBe(0);
      expect(JSON.parse(result.stdout), protocol).toBeTypeOf("object");
    }
  });

  it("Python grpcio with ssl_channel_credentials and the token as metadata", async () => {
    const descriptors = join(work, "dockhand.binpb");
    expect((await run(bufBin, ["build", "-o", descriptors])).code).toBe(0);
    const python = (token?: string) =>
      run(debianPython, [
        "examples/python/dockhand_client.py",
        "--target",
        server.url.replace("https://", ""),
        "--descriptors",
        descriptors,
        "--cacert",
        pki.caCert,
        ...(token ? ["--token", token] : []),
        "dockhand.v1.ServiceRegistry/ListServices",
        "{}",
      ]);
    const ok = await python(tokens.viewer.token);
    expect(ok.code, ok.stderr).toBe(0);
    const refused = await python();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^UNAUTHENTICATED: /);
  });
});

describe("certificate reload", () => {
  it("new connections get a renewed certificate while live ones keep theirs", async () => {
    const port = Number(new URL(server.url).port);
    const peerFingerprint = () =>
      new Promise<string>((resolve, reject) => {
        const socket = tls.connect({ host: "127.0.0.1", port, ca, ALPNProtocols: ["h2"] }, () => {
          resolve(socket.getPeerCertificate().fingerprint256);
          socket.end();
        });
        socket.once("error", reject);
      });
    const session = http2.connect(server.url, { ca });
    const get = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const stream = session.request({ ":path": path });
        stream.once("response", (headers) => resolve(Number(headers[":status"])));
        stream.once("error", reject);
        stream.resume();
      });
    expect(await get("/healthz")).toBe(200);
    const before = (session.socket as tls.TLSSocket).getPeerCertificate().fingerprint256;
    expect(await peerFingerprint()).toBe(before);

    pki.renewServer();
    const renewed = fingerprintOf(pki.serverCert);
    expect(renewed).not.toBe(before);
    await until(async () => (await peerFingerprint()) === renewed, 20_000);
    // The connection made before the renewal still works, with the certificate it began with.
    expect(await get("/healthz")).toBe(200);
    expect((session.socket as tls.TLSSocket).getPeerCertificate().fingerprint256).toBe(before);
    session.close();
  });
});

describe("CORS for browser origins", () => {
  const preflight = (origin: string) =>
    run("curl", [
      "-sS",
      "-D",
      "-",
      "-o",
      "/dev/null",
      "--cacert",
      pki.caCert,
      "-X",
      "OPTIONS",
      "-H",
      `origin: ${origin}`,
      "-H",
      "access-control-request-method: POST",
      "-H",
      "access-control-request-headers: authorization,content-type,x-grpc-web,x-user-agent",
      `${server.url}/dockhand.v1.Scaler/WatchStatus`,
    ]);
  const headersOf = (text: string) =>
    Object.fromEntries(
      text
        .split("\r\n")
        .filter((l) => l.includes(":"))
        .map((l) => [
          l.slice(0, l.indexOf(":")).toLowerCase(),
          l
            .slice(l.indexOf(":") + 1)
            .trim()
            .toLowerCase(),
        ]),
    );

  it("answers a preflight from an allowed origin with 204 and what Connect and gRPC-web need", async () => {
    const result = await preflight(dashboardOrigin);
    expect(result.stdout).toMatch(/^HTTP\/\S+ 204/);
    const headers = headersOf(result.stdout);
    expect(headers["access-control-allow-origin"]).toBe(dashboardOrigin);
    expect(headers["access-control-allow-methods"]).toContain("post");
    for (const h of ["authorization", "content-type", "x-grpc-web", "connect-protocol-version", "grpc-timeout"])
      expect(headers["access-control-allow-headers"]).toContain(h);
    expect(headers["access-control-max-age"]).toMatch(/^\d+$/);
    expect(headers.vary).toContain("origin");
  });

  it("exposes the gRPC status headers on answers to an allowed origin, and gives another origin no CORS headers", async () => {
    const call = (origin: string) =>
      run("curl", [
        "-sS",
        "-D",
        "-",
        "-o",
        "/dev/null",
        "--cacert",
        pki.caCert,
        "-H",
        `origin: ${origin}`,
        "-H",
        "content-type: application/json",
        "-H",
        `authorization: Bearer ${tokens.viewer.token}`,
        "-d",
        "{}",
        `${server.url}/dockhand.v1.ServiceRegistry/ListServices`,
      ]);
    const allowed = headersOf((await call(dashboardOrigin)).stdout);
    expect(allowed["access-control-allow-origin"]).toBe(dashboardOrigin);
    for (const h of ["grpc-status", "grpc-message", "grpc-status-details-bin"])
      expect(allowed["access-control-expose-headers"]).toContain(h);
    const other = (await call("http://evil.example")).stdout;
    expect(headersOf(other)["access-control-allow-origin"]).toBeUndefined();
    const refusedPreflight = await preflight("http://evil.example");
    expect(refusedPreflight.stdout).not.toMatch(/^HTTP\/\S+ 2/);
    expect(headersOf(refusedPreflight.stdout)["access-control-allow-origin"]).toBeUndefined();
  });
});

describe("bounded resources", () => {
  it("refuses a 50 MB Connect body with RESOURCE_EXHAUSTED without reading it all", async () => {
    const size = 50 * 1024 * 1024;
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = https.request(`${server.url}/dockhand.v1.ServiceRegistry/CreateService`, {
        method: "POST",
        ca,
        headers: {
          "content-type": "application/json",
          "content-length": String(size),
          authorization: `Bearer ${tokens.admin.token}`,
        },
      });
      req.once("response", (res) => {
        let body = "";
        res.on("data", (chunk: Buffer) => (body += chunk.toString()));
        res.once("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.once("error", reject);
      // Only the first megabyte is sent: the answer must not wait for the rest.
      req.write(Buffer.alloc(1024 * 1024, 0x61));
    });
    expect(JSON.parse(answer.body)).toMatchObject({ code: "resource_exhausted" });
    expect(answer.body.length).toBeLessThan(1000);
  });

  it("refuses a gRPC message over the limit with RESOURCE_EXHAUSTED", async () => {
    const big = "x".repeat(5 * 1024 * 1024);
    const refused = await failureOf(
      tlsClient(ServiceRegistry, server.url, tokens.admin.token).createService({
        service: { name: "too-big", image: testImage, environment: { BIG: big } },
      }),
    );
    expect(refused.code).toBe(Code.ResourceExhausted);
  });

  it("drops a client that sends headers too slowly (slowloris)", async () => {
    const port = Number(new URL(server.url).port);
    const socket = tls.connect({ host: "127.0.0.1", port, ca, ALPNProtocols: ["http/1.1"] });
    let closed = false;
    socket.once("close", () => (closed = true));
    socket.on("error", () => undefined);
    await new Promise<void>((resolve) => socket.once("secureConnect", () => resolve()));
    socket.write("POST /dockhand.v1.ServiceRegistry/ListServices HTTP/1.1\r\nhost: 127.0.0.1\r\nx-slow: ");
    // Read what the server says (a 408), so that its close reaches this end.
    socket.resume();
    await until(() => closed, 30_000);
  });
});

describe("mTLS", () => {
  let mtls: LoggedServer;
  const mtlsTokens = join(work, "mtls-tokens.yml");
  beforeAll(async () => {
    writeTokensFile(mtlsTokens, [], [{ subject: "ci-deployer", role: "operator" }]);
    mtls = await startLoggedServer({
      tlsCert: pki.serverCert,
      tlsKey: pki.serverKey,
      tlsClientCa: pki.caCert,
      authTokensFile: mtlsTokens,
    });
  });
  afterAll(async () => {
    await mtls?.stop();
  });

  const grpcJsList = (credentials: grpc.ChannelCredentials) => {
    const client = new grpc.Client(mtls.url.replace("https://", ""), credentials);
    return new Promise<unknown>((resolve, reject) => {
      client.makeUnaryRequest(
        "/dockhand.v1.ServiceRegistry/ListServices",
        (m: ReturnType<typeof create<typeof ListServicesRequestSchema>>) =>
          Buffer.from(toBinary(ListServicesRequestSchema, m)),
        (bytes: Buffer) => fromBinary(ListServicesResponseSchema, bytes),
        create(ListServicesRequestSchema, {}),
        (err, value) => (err ? reject(err) : resolve(value)),
      );
    }).finally(() => client.close());
  };
  const certCredentials = (cn: string, signedBy: "ca" | "stranger" = "ca") => {
    const client = pki.client(cn, { signedBy });
    return grpc.credentials.createSsl(ca, readFileSync(client.key), readFileSync(client.cert));
  };

  it("takes a grpc-js client's certificate subject as its identity, with the role the file gives it", async () => {
    // A fresh server: the certificate's caller is admitted and sees no service yet.
    await expect(grpcJsList(certCredentials("ci-deployer"))).resolves.toMatchObject({ services: [] });
    const name = uniqueServiceName("mtls");
    const client = pki.client("ci-deployer");
    const registry = createClient(
      ServiceRegistry,
      createGrpcTransport({
        baseUrl: mtls.url,
        nodeOptions: { ca, cert: readFileSync(client.cert), key: readFileSync(client.key) },
      }),
    );
    await registry.createService({ service: { name, image: testImage, command: ["sleep", "3600"] } });
    await until(() => mtls.lines.some((l) => l.audit && l.procedure === "/dockhand.v1.ServiceRegistry/CreateService"));
    expect(
      mtls.lines.find((l) => l.audit && l.procedure === "/dockhand.v1.ServiceRegistry/CreateService"),
    ).toMatchObject({ caller: "ci-deployer", role: "operator", outcome: "OK" });
    expect((await failureOf(registry.deleteService({ name }))).code).toBe(Code.PermissionDenied);
  });

  it("refuses at the handshake a client with no certificate or one another CA signed", async () => {
    for (const credentials of [grpc.credentials.createSsl(ca), certCredentials("ci-deployer", "stranger")]) {
      const err = (await grpcJsList(credentials).then(
        () => undefined,
        (e: grpc.ServiceError) => e,
      )) as grpc.ServiceError | undefined;
      expect(err?.code).toBe(grpc.status.UNAVAILABLE);
    }
  });

  it("gives a signed certificate with no role in the file UNAUTHENTICATED", async () => {
    const err = (await grpcJsList(certCredentials("someone-else")).then(
      () => undefined,
      (e: grpc.ServiceError) => e,
    )) as grpc.ServiceError | undefined;
    expect(err?.code).toBe(grpc.status.UNAUTHENTICATED);
  });
});

describe("--metrics-auth", () => {
  it("puts /metrics behind a viewer's credentials, and leaves /healthz open", async () => {
    const guarded = await startLoggedServer({ authTokensFile: tokensFile, metricsAuth: true, logLevel: "silent" });
    try {
      const get = (path: string, token?: string) =>
        fetch(`${guarded.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} }).then(
          (r) => r.status,
        );
      expect(await get("/metrics")).toBe(401);
      expect(await get("/metrics", "wrong")).toBe(401);
      expect(await get("/metrics", tokens.viewer.token)).toBe(200);
      expect(await get("/healthz")).toBe(200);
    } finally {
      await guarded.stop();
    }
  });
});

describe("the process", () => {
  it("re-reads its TLS files and tokens on SIGHUP and goes on serving", async () => {
    const child = await spawnDockhand([
      "--tls-cert",
      pki.serverCert,
      "--tls-key",
      pki.serverKey,
      "--auth-tokens",
      tokensFile,
      "--data-dir",
      join(work, "sighup"),
    ]);
    try {
      expect(child.url).toMatch(/^https:/);
      child.child.kill("SIGHUP");
      await until(() => child.output.some((line) => line.includes("TLS certificate and key reloaded")));
      expect(child.child.exitCode).toBeNull();
      // A fresh data directory: the viewer's token still works after the reload, and there is nothing yet.
      const answer = await tlsClient(ServiceRegistry, child.url, tokens.viewer.token).listServices({});
      expect(answer.services).toEqual([]);
    } finally {
      child.child.kill("SIGTERM");
      await child.exited;
    }
  });
});

describe("exposure", () => {
  it("refuses CORS for any origin unless every call needs a token", async () => {
    for (const args of [
      [],
      ["--tls-cert", pki.serverCert, "--tls-key", pki.serverKey, "--tls-client-ca", pki.caCert],
    ]) {
      const started = spawnDockhand([...args, "--cors-origins", "*", "--data-dir", join(work, "never")]);
      const err = (await started.then(
        () => undefined,
        (e: Error) => e,
      )) as Error | undefined;
      expect(err?.message).toContain("--cors-origins: * (any origin) needs --auth-tokens");
    }
  });

  it("refuses to serve cleartext or no auth off loopback unless --insecure, saying what to do", async () => {
    for (const args of [
      ["--bind", "0.0.0.0"],
      ["--bind", "0.0.0.0", "--tls-cert", pki.serverCert, "--tls-key", pki.serverKey],
    ]) {
      const started = spawnDockhand([...args, "--data-dir", join(work, "never")]);
      const err = (await started.then(
        () => undefined,
        (e: Error) => e,
      )) as Error | undefined;
      expect(err?.message).toContain("--insecure");
      expect(err?.message).toContain("--tls-cert");
    }
  });
});
