import http from "node:http";
import http2 from "node:http2";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import type { DescService } from "@bufbuild/protobuf";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import { CreateServiceRequestSchema, ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { GetStatusRequestSchema, Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { Session } from "../../gen/dockhand/v1/session_pb.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1Alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { launchChromium } from "../support/browser.js";
import { clientFor } from "../support/clients.js";
import { requireEngine, testImage } from "../support/engine.js";
import {
  removeDataDir,
  removeServiceContainers,
  startTestServer,
  uniqueServiceName,
  type TestServer,
} from "../support/test-server.js";
import { makeTokens, writeTokensFile } from "../support/tokens-file.js";

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Sent {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
}

/** One HTTP/1.1 request to 127.0.0.1:port with the given headers, Host among them. */
function overHttp1(port: number, sent: Sent, host: string, origin?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: sent.method,
        path: sent.path,
        headers: { ...sent.headers, host, ...(origin ? { origin } : {}) },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("error", reject);
    req.end(sent.body);
  });
}

/** One HTTP/2 request to 127.0.0.1:port with the given `:authority`. */
function overHttp2(port: number, sent: Sent, authority: string, origin?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on("error", reject);
    const stream = session.request({
      ":method": sent.method,
      ":path": sent.path,
      ":authority": authority,
      ...sent.headers,
      ...(origin ? { origin } : {}),
    });
    let status = 0;
    let headers: http.IncomingHttpHeaders = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => {
      status = Number(h[":status"]);
      headers = h as http.IncomingHttpHeaders;
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("close", () => {
      session.close();
      resolve({ status, headers, body: Buffer.concat(chunks).toString("utf8") });
    });
    stream.on("error", reject);
    stream.end(sent.body);
  });
}

/** A gRPC frame around a message. */
function frame(message: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, Buffer.from(message)]);
}

type Family = { name: string; h2: boolean; sent: (service: string) => Sent };

/** One request of every route family, each of which would create or read something. */
const families: readonly Family[] = [
  {
    name: "Connect",
    h2: false,
    sent: (name) => ({
      method: "POST",
      path: "/dockhand.v1.ServiceRegistry/CreateService",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ service: { name, image: testImage, command: ["sleep", "3600"] } }),
    }),
  },
  {
    name: "gRPC",
    h2: true,
    sent: (name) => ({
      method: "POST",
      path: "/dockhand.v1.ServiceRegistry/CreateService",
      headers: { "content-type": "application/grpc", te: "trailers" },
      body: frame(
        toBinary(
          CreateServiceRequestSchema,
          create(CreateServiceRequestSchema, { service: { name, image: testImage, command: ["sleep", "3600"] } }),
        ),
      ),
    }),
  },
  {
    name: "gRPC-web",
    h2: false,
    sent: (name) => ({
      method: "POST",
      path: "/dockhand.v1.ServiceRegistry/CreateService",
      headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
      body: frame(
        toBinary(
          CreateServiceRequestSchema,
          create(CreateServiceRequestSchema, { service: { name, image: testImage, command: ["sleep", "3600"] } }),
        ),
      ),
    }),
  },
  {
    name: "gRPC fast path (GetStatus)",
    h2: true,
    sent: (name) => ({
      method: "POST",
      path: "/dockhand.v1.Scaler/GetStatus",
      headers: { "content-type": "application/grpc", te: "trailers" },
      body: frame(toBinary(GetStatusRequestSchema, create(GetStatusRequestSchema, { name }))),
    }),
  },
  {
    name: "REST (genisys)",
    h2: false,
    sent: (name) => ({
      method: "POST",
      path: "/service",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name, image: testImage, command: "sleep 3600" }),
    }),
  },
  {
    name: "JSON-RPC (mistify)",
    h2: false,
    sent: () => ({
      method: "POST",
      path: "/_mistify_RPC_",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ method: "MDocker.GetInfo", params: [{}], id: 1 }),
    }),
  },
  { name: "dashboard", h2: false, sent: () => ({ method: "GET", path: "/" }) },
  { name: "metrics", h2: false, sent: () => ({ method: "GET", path: "/metrics" }) },
  { name: "health endpoint", h2: false, sent: () => ({ method: "GET", path: "/healthz" }) },
];

/** Every procedure dockhand serves, by path. */
const servedServices: readonly DescService[] = [
  ServiceRegistry,
  Scaler,
  ContainerAgent,
  Session,
  Health,
  ReflectionV1,
  ReflectionV1Alpha,
];
const procedures = servedServices.flatMap((service) =>
  service.methods.map((method) => `/${service.typeName}/${method.name}`),
);

describe("the browser boundary (DNS rebinding, foreign origins)", () => {
  let engine: Awaited<ReturnType<typeof requireEngine>>;
  let server: TestServer;
  const allowedOrigin = "http://127.0.0.1:8089";
  const names: string[] = [];
  const service = (prefix: string) => {
    const name = uniqueServiceName(prefix);
    names.push(name);
    return name;
  };
  const send = (family: Family, name: string, host: string, origin?: string) =>
    family.h2
      ? overHttp2(server.port, family.sent(name), host, origin)
      : overHttp1(server.port, family.sent(name), host, origin);
  const exists = async (name: string) =>
    (await clientFor(ServiceRegistry, server.url).listServices({})).services.some((s) => s.name === name);

  beforeAll(async () => {
    engine = await requireEngine();
    server = await startTestServer(engine, { corsOrigins: [allowedOrigin], allowedHosts: ["dockhand.test"] });
  });
  afterAll(async () => {
    await server?.close();
    if (engine) await removeServiceContainers(engine, names);
    if (server) removeDataDir(server.dataDir);
  });

  it("refuses a rebound name (foreign Host, same-origin Origin) on every route family, with 403 naming --allowed-hosts, and changes nothing", async () => {
    for (const family of families) {
      const name = service("rebind");
      const host = `attacker.test:${server.port}`;
      const answer = await send(family, name, host, `http://${host}`);
      expect(answer.status, family.name).toBe(403);
      expect(answer.body, family.name).toContain("--allowed-hosts");
      expect(answer.headers["x-content-type-options"], family.name).toBe("nosniff");
      expect(await exists(name), family.name).toBe(false);
      // Without an Origin, as a script on a rebound name would not be asked for one: refused all the same.
      expect((await send(family, name, host)).status, family.name).toBe(403);
    }
  });

  it("refuses a foreign Origin on dockhand's own Host on every route family, with 403 naming --cors-origins, and changes nothing", async () => {
    for (const family of families) {
      const name = service("origin");
      const answer = await send(family, name, `127.0.0.1:${server.port}`, "http://evil.test");
      expect(answer.status, family.name).toBe(403);
      expect(answer.body, family.name).toContain("--cors-origins");
      expect(await exists(name), family.name).toBe(false);
      const nullOrigin = await send(family, name, `127.0.0.1:${server.port}`, "null");
      expect(nullOrigin.status, family.name).toBe(403);
    }
  });

  it("admits dockhand's own names, its own origin, a listed origin and a listed host on every route family", async () => {
    const own = [
      `127.0.0.1:${server.port}`,
      `localhost:${server.port}`,
      `[::1]:${server.port}`,
      `LOCALHOST:${server.port}`,
      "dockhand.test",
      "dockhand.test:443",
    ];
    for (const family of families) {
      for (const host of own) {
        const answer = await send(
          family,
          service("own"),
          host,
          family.name === "dashboard" ? undefined : `http://${host.toLowerCase()}`,
        );
        expect(answer.status, `${family.name} ${host}`).not.toBe(403);
      }
      const listed = await send(family, service("listed"), `127.0.0.1:${server.port}`, allowedOrigin);
      expect(listed.status, family.name).not.toBe(403);
    }
    // What was admitted really ran: the Connect call created its service.
    const name = service("admitted");
    expect((await send(families[0]!, name, `localhost:${server.port}`, `http://localhost:${server.port}`)).status).toBe(
      200,
    );
    expect(await exists(name)).toBe(true);
  });

  it("refuses names that only look like dockhand's, and a Host that is not a host", async () => {
    for (const host of [
      `127.0.0.2:${server.port}`,
      `localhost.:${server.port}`,
      `localhost.attacker.test:${server.port}`,
      "a b",
      `evil.test@127.0.0.1:${server.port}`,
    ]) {
      expect((await send(families[0]!, service("port"), host)).status, host).toBe(403);
    }
  });

  it("refuses foreign Host and Origin values on every procedure over Connect, gRPC-web and gRPC, answering nothing but the refusal", async () => {
    const foreign: Array<{ host: string; origin?: string }> = [
      { host: `attacker.test:${server.port}`, origin: `http://attacker.test:${server.port}` },
      { host: `127.0.0.1:${server.port}`, origin: "https://evil.test" },
      { host: `rebind.127.0.0.1.nip.io:${server.port}` },
    ];
    const protocols: Array<{ h2: boolean; headers: Record<string, string>; body: Buffer | string }> = [
      { h2: false, headers: { "content-type": "application/json" }, body: "{}" },
      { h2: false, headers: { "content-type": "application/grpc-web+proto" }, body: frame(new Uint8Array()) },
      { h2: true, headers: { "content-type": "application/grpc", te: "trailers" }, body: frame(new Uint8Array()) },
    ];
    let sentCount = 0;
    for (const path of procedures) {
      for (const protocol of protocols) {
        for (const { host, origin } of foreign) {
          const sent = { method: "POST", path, headers: protocol.headers, body: protocol.body };
          const answer = protocol.h2
            ? await overHttp2(server.port, sent, host, origin)
            : await overHttp1(server.port, sent, host, origin);
          expect(answer.status, `${path} ${JSON.stringify(protocol.headers)} ${host} ${origin}`).toBe(403);
          sentCount++;
        }
      }
    }
    expect(sentCount).toBe(procedures.length * protocols.length * foreign.length);
  });

  it("says nosniff on every answer, also on an error that quotes its input", async () => {
    const quoted = await overHttp1(
      server.port,
      { method: "GET", path: "/service/%3Cimg%20src%3Dx%3E" },
      `127.0.0.1:${server.port}`,
    );
    expect(quoted.status).toBeGreaterThanOrEqual(400);
    expect(quoted.headers["x-content-type-options"]).toBe("nosniff");
    for (const family of families) {
      const answer = await send(family, service("nosniff"), `127.0.0.1:${server.port}`);
      expect(answer.headers["x-content-type-options"], family.name).toBe("nosniff");
    }
  });

  it("answers a listed origin's private-network preflight, and no other", async () => {
    const preflight = (origin: string, privateNetwork: boolean) =>
      overHttp1(
        server.port,
        {
          method: "OPTIONS",
          path: "/dockhand.v1.ServiceRegistry/ListServices",
          headers: {
            "access-control-request-method": "POST",
            ...(privateNetwork ? { "access-control-request-private-network": "true" } : {}),
          },
        },
        `127.0.0.1:${server.port}`,
        origin,
      );
    const listed = await preflight(allowedOrigin, true);
    expect(listed.status).toBe(204);
    expect(listed.headers["access-control-allow-private-network"]).toBe("true");
    expect((await preflight(allowedOrigin, false)).headers["access-control-allow-private-network"]).toBeUndefined();
    const other = await preflight("http://evil.test", true);
    expect(other.status).toBe(403);
    expect(other.headers["access-control-allow-private-network"]).toBeUndefined();
  });

  describe("a real Chromium on a name rebound to 127.0.0.1, Private Network Access off", () => {
    let browser: Browser;
    beforeAll(async () => {
      browser = await launchChromium([
        "--host-resolver-rules=MAP attacker.test 127.0.0.1",
        "--disable-features=BlockInsecurePrivateNetworkRequests,PrivateNetworkAccessSendPreflights,PrivateNetworkAccessRespectPreflightResults,LocalNetworkAccessChecks",
      ]);
    });
    afterAll(async () => {
      await browser?.close();
    });

    it("cannot create a service, list containers or read the seeds' routes", async () => {
      const name = service("chromium");
      const page = await browser.newPage();
      try {
        const landing = await page.goto(`http://attacker.test:${server.port}/`);
        expect(landing?.status()).toBe(403);
        const answers = await page.evaluate(async (serviceName) => {
          const post = (path: string, body: string) =>
            fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body }).then(async (r) => ({
              status: r.status,
              text: await r.text(),
            }));
          return {
            create: await post(
              "/dockhand.v1.ServiceRegistry/CreateService",
              JSON.stringify({
                service: { name: serviceName, image: "dockhand-test/busybox:1", command: ["sleep", "3600"] },
              }),
            ),
            list: await post("/dockhand.v1.ContainerAgent/ListContainers", JSON.stringify({ all: true })),
            rest: await fetch("/service").then(async (r) => ({ status: r.status, text: await r.text() })),
            rpc: await post("/_mistify_RPC_", JSON.stringify({ method: "MDocker.GetInfo", params: [{}], id: 1 })),
          };
        }, name);
        for (const [what, answer] of Object.entries(answers)) {
          expect(answer.status, what).toBe(403);
          expect(answer.text, what).toContain("--allowed-hosts");
        }
        expect(await exists(name)).toBe(false);
      } finally {
        await page.close();
      }
    });
  });
});

describe("auth before the body", () => {
  const work = mkdtempSync(join(tmpdir(), "dockhand-auth-first-"));
  const tokens = makeTokens();
  let engine: Awaited<ReturnType<typeof requireEngine>>;
  let server: TestServer;

  beforeAll(async () => {
    engine = await requireEngine();
    writeTokensFile(join(work, "tokens.yml"), Object.values(tokens));
    server = await startTestServer(engine, { authTokensFile: join(work, "tokens.yml") });
  });
  afterAll(async () => {
    await server?.close();
    if (server) removeDataDir(server.dataDir);
    rmSync(work, { recursive: true, force: true });
  });

  /** Sends only the headers of a request that announces `length` bytes of body; resolves with the answer. */
  function headersOnlyHttp1(
    path: string,
    contentType: string,
    length: number,
    authorization?: string,
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: "127.0.0.1",
          port: server.port,
          method: "POST",
          path,
          agent: false,
          headers: {
            "content-type": contentType,
            "content-length": String(length),
            ...(authorization ? { authorization } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => {
            req.destroy();
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
          });
        },
      );
      req.on("error", reject);
      req.flushHeaders();
    });
  }

  it("refuses an unauthenticated 12 MB LoadImage, and a mistify call, before a byte of the body is sent (Connect, gRPC-web, JSON-RPC)", async () => {
    const twelveMb = 12 * 1024 * 1024;
    const connect = await headersOnlyHttp1("/dockhand.v1.ContainerAgent/LoadImage", "application/proto", twelveMb);
    expect(connect.status).toBe(401);
    expect(connect.body).toContain("unauthenticated");
    const grpcWeb = await headersOnlyHttp1(
      "/dockhand.v1.ContainerAgent/LoadImage",
      "application/grpc-web+proto",
      twelveMb,
    );
    expect(grpcWeb.status).toBe(200);
    const wrongToken = await headersOnlyHttp1(
      "/dockhand.v1.ContainerAgent/LoadImage",
      "application/proto",
      twelveMb,
      "Bearer nope",
    );
    expect(wrongToken.status).toBe(401);
    const viewer = await headersOnlyHttp1(
      "/dockhand.v1.ContainerAgent/LoadImage",
      "application/proto",
      twelveMb,
      `Bearer ${tokens.viewer.token}`,
    );
    expect(viewer.status).toBe(403);
    expect(viewer.body).toContain("permission_denied");
    const mistify = await headersOnlyHttp1("/_mistify_RPC_", "application/json", 1000_000);
    expect(mistify.status).toBe(401);
  });

  it("refuses an unauthenticated gRPC call before its body (HTTP/2, no DATA frame sent)", async () => {
    const trailers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
      const session = http2.connect(`http://127.0.0.1:${server.port}`);
      session.on("error", reject);
      const stream = session.request(
        {
          ":method": "POST",
          ":path": "/dockhand.v1.ContainerAgent/LoadImage",
          "content-type": "application/grpc",
          te: "trailers",
        },
        { endStream: false },
      );
      let head: http2.IncomingHttpHeaders = {};
      stream.on("response", (headers) => {
        head = headers;
        // A refusal may come as headers alone (trailers-only).
        if (headers["grpc-status"] !== undefined) {
          session.destroy();
          resolve(headers);
        }
      });
      stream.on("trailers", (t) => {
        session.destroy();
        resolve({ ...head, ...t });
      });
      stream.on("error", reject);
      stream.resume();
    });
    expect(trailers["grpc-status"]).toBe("16");
  });
});
