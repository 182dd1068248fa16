/**
 * `npm run bench:secure`: what TLS, tokens and the body limit cost, each against dockhand
 * without them in the same run.
 * - node-tls-ratio: the limit Node itself sets. A bare Node HTTP/2 server (bench/bare-h2-server.ts,
 *   a child process answering every call with the same GetStatus reply, no routing or auth)
 *   measured over TLS against h2c, with the same h2load load: Node's TLS stream alone.
 * - status-tls-throughput: GetStatus over gRPC with TLS and a bearer token vs h2c without auth
 *   (h2load, 32 clients; rounds alternate between the servers; best round of each). Its target
 *   is 0.95 of node-tls-ratio from the same run: dockhand should lose to TLS what Node loses.
 * - connect-tls-p50: Connect JSON over HTTP/1.1 with TLS and a token vs cleartext without, one
 *   keep-alive connection, calls one after another (p50 of the best round).
 * - big-body-rss: dockhand's RSS after ten concurrent 50 MB bodies (five with a content-length,
 *   five chunked), against its RSS before them.
 * Both servers are dockhand processes as `npm start` runs them, on the shared engine; the
 * service they are asked about has no containers, so the figures are the transport's own.
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ServiceRegistry } from "../gen/dockhand/v1/registry_pb.js";
import { GetStatusRequestSchema, GetStatusResponseSchema, Scaler } from "../gen/dockhand/v1/scaler_pb.js";
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { dockerUrl, testImage } from "../test/support/engine.js";
import { createTestPki } from "../test/support/test-pki.js";
import { makeTokens, writeTokensFile } from "../test/support/tokens-file.js";
import { ensureH2load, runH2load } from "./h2load.js";
import { cleanupOnExit, memoryOf, percentile, printFigure, startDockhandChild, type DockhandChild } from "./support.js";

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const connectCalls = Number(process.env.BENCH_CALLS ?? 2000);
const service = `bench-secure-${process.pid}`;

const h2load = ensureH2load();
if (!h2load) throw new Error("h2load (Debian's nghttp2-client) is needed: apt-get install nghttp2-client");

const pki = createTestPki();
const ca = readFileSync(pki.caCert);
const work = mkdtempSync(join(tmpdir(), "dockhand-bench-secure-"));
const tokens = makeTokens();
writeTokensFile(join(work, "tokens.yml"), Object.values(tokens));
const token = tokens.viewer.token;

let plain: DockhandChild | undefined;
let secure: DockhandChild | undefined;
let bare: ChildProcess | undefined;
const cleanup = cleanupOnExit(async () => {
  await plain?.stop();
  await secure?.stop();
  bare?.kill("SIGTERM");
  pki.remove();
  rmSync(work, { recursive: true, force: true });
});

/** One Connect JSON GetStatus on a kept-alive HTTP/1.1 connection; resolves with its latency in ms. */
function connectCall(url: string, agent: http.Agent, headers: Record<string, string>): Promise<number> {
  const body = JSON.stringify({ name: service });
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = (url.startsWith("https:") ? https.request : http.request)(`${url}/dockhand.v1.Scaler/GetStatus`, {
      method: "POST",
      agent,
      headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), ...headers },
    });
    request.once("response", (res) => {
      res.resume();
      res.once("end", () =>
        res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`status ${res.statusCode}`)),
      );
    });
    request.once("error", reject);
    request.end(body);
  });
}

async function connectP50(url: string, headers: Record<string, string>): Promise<number> {
  const agent = url.startsWith("https:")
    ? new https.Agent({ keepAlive: true, maxSockets: 1, ca })
    : new http.Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  for (let i = 0; i < 100; i++) await connectCall(url, agent, headers);
  for (let i = 0; i < connectCalls; i++) latencies.push(await connectCall(url, agent, headers));
  agent.destroy();
  return percentile(latencies, 50);
}

/** Sends a 50 MB body and resolves with the answer's HTTP status, once the server has answered. */
function bigBody(url: string, chunked: boolean): Promise<number> {
  const size = 50 * 1024 * 1024;
  const chunk = Buffer.alloc(1024 * 1024, 0x61);
  return new Promise((resolve, reject) => {
    const request = https.request(`${url}/dockhand.v1.ServiceRegistry/CreateService`, {
      method: "POST",
      ca,
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${tokens.admin.token}`,
        ...(chunked ? {} : { "content-length": String(size) }),
      },
    });
    let answered = false;
    request.once("response", (res) => {
      answered = true;
      res.resume();
      res.once("end", () => resolve(res.statusCode ?? 0));
    });
    request.once("error", (err) => (answered ? undefined : reject(err)));
    let sent = 0;
    const pump = () => {
      while (!answered && sent < size) {
        sent += chunk.length;
        if (!request.write(chunk)) return void request.once("drain", pump);
      }
      request.end();
    };
    pump();
  });
}

/** The bare Node HTTP/2 servers, in a process of their own as dockhand is; resolves with their ports. */
async function startBare(reply: Uint8Array): Promise<{ h2c: number; tls: number }> {
  const args = ["--max-semi-space-size=4", "--import", "tsx", "bench/bare-h2-server.ts"];
  bare = spawn(process.execPath, [...args, pki.serverCert, pki.serverKey, Buffer.from(reply).toString("hex")], {
    stdio: ["ignore", "pipe", 2],
  });
  const [line] = await new Promise<string[]>((resolve, reject) => {
    createInterface({ input: bare!.stdout! }).once("line", (first) => resolve([first]));
    bare!.once("exit", (code) => reject(new Error(`bare-h2-server exited ${code}`)));
  });
  return JSON.parse(line!) as { h2c: number; tls: number };
}

try {
  plain = await startDockhandChild("dockhand-bench-secure-plain", dockerUrl);
  secure = await startDockhandChild("dockhand-bench-secure-tls", dockerUrl, [], {
    args: ["--tls-cert", pki.serverCert, "--tls-key", pki.serverKey, "--auth-tokens", join(work, "tokens.yml")],
    tlsCa: ca,
  });
  for (const [url, auth] of [
    [plain.url, {}],
    [secure.url, { tlsCa: ca, token: tokens.admin.token }],
  ] as const) {
    const transport = createGrpcTransport({
      baseUrl: url,
      nodeOptions: "tlsCa" in auth ? { ca: auth.tlsCa } : {},
      interceptors:
        "token" in auth
          ? [(next) => (req) => (req.header.set("authorization", `Bearer ${auth.token}`), next(req))]
          : [],
    });
    await createClient(ServiceRegistry, transport).createService({
      service: { name: service, image: testImage, command: ["sleep", "3600"] },
    });
  }

  const message = toBinary(GetStatusRequestSchema, create(GetStatusRequestSchema, { name: service }));
  const status = await createClient(Scaler, createGrpcTransport({ baseUrl: plain.url })).getStatus({ name: service });
  const ports = await startBare(toBinary(GetStatusResponseSchema, status));
  let bestBareH2c = 0;
  let bestBareTls = 0;
  let bestPlain = 0;
  let bestSecure = 0;
  let p50Plain = Infinity;
  let p50Secure = Infinity;
  for (let round = 0; round < rounds; round++) {
    const bareH2c = runH2load(`http://127.0.0.1:${ports.h2c}`, "/dockhand.v1.Scaler/GetStatus", message, 32, seconds);
    const bareTls = runH2load(`https://127.0.0.1:${ports.tls}`, "/dockhand.v1.Scaler/GetStatus", message, 32, seconds);
    if (bareH2c.failed || bareTls.failed)
      throw new Error(`h2load: ${bareH2c.failed} failed on bare h2c, ${bareTls.failed} on bare TLS`);
    bestBareH2c = Math.max(bestBareH2c, bareH2c.perSecond);
    bestBareTls = Math.max(bestBareTls, bareTls.perSecond);
    const a = runH2load(plain.url, "/dockhand.v1.Scaler/GetStatus", message, 32, seconds);
    const b = runH2load(secure.url, "/dockhand.v1.Scaler/GetStatus", message, 32, seconds, [
      `authorization: Bearer ${token}`,
    ]);
    if (a.failed || b.failed) throw new Error(`h2load: ${a.failed} failed in cleartext, ${b.failed} over TLS`);
    bestPlain = Math.max(bestPlain, a.perSecond);
    bestSecure = Math.max(bestSecure, b.perSecond);
    const c = await connectP50(plain.url, {});
    const d = await connectP50(secure.url, { authorization: `Bearer ${token}` });
    p50Plain = Math.min(p50Plain, c);
    p50Secure = Math.min(p50Secure, d);
    process.stderr.write(
      `round ${round + 1}: bare Node ${Math.round(bareH2c.perSecond)} req/s h2c vs ${Math.round(bareTls.perSecond)} TLS; ` +
        `dockhand gRPC ${Math.round(a.perSecond)} req/s h2c vs ${Math.round(b.perSecond)} TLS+token; ` +
        `Connect p50 ${c.toFixed(3)} ms vs ${d.toFixed(3)} ms\n`,
    );
  }

  const before = memoryOf(secure.pid).rssMb;
  const statuses = await Promise.all(Array.from({ length: 10 }, (_, i) => bigBody(secure!.url, i % 2 === 1)));
  if (!statuses.every((s) => s === 429))
    throw new Error(`a 50 MB body was answered ${statuses.join(", ")}, not 429 (resource_exhausted)`);
  const after = memoryOf(secure.pid);
  process.stderr.write(
    `big bodies: RSS ${before.toFixed(1)} MB before, ${after.rssMb.toFixed(1)} MB after (peak ${after.peakMb.toFixed(1)} MB)\n`,
  );

  const nodeTlsRatio = bestBareTls / bestBareH2c;
  printFigure({
    bench: "node-tls-ratio",
    unit: "req/s",
    dockhand: bestBareTls,
    baseline: bestBareH2c,
    target: null,
    digits: 0,
  });
  printFigure({
    bench: "status-tls-throughput",
    unit: "req/s",
    dockhand: bestSecure,
    baseline: bestPlain,
    target: `>=${(0.95 * nodeTlsRatio).toFixed(3)} (0.95 of node-tls-ratio)`,
    digits: 0,
  });
  printFigure({
    bench: "connect-tls-p50",
    unit: "ms",
    dockhand: p50Secure,
    baseline: p50Plain,
    target: "<=1.25",
    digits: 3,
  });
  printFigure({
    bench: "big-body-rss",
    unit: "MB",
    dockhand: after.rssMb,
    baseline: before,
    target: "dockhand<=200",
    digits: 1,
  });
} finally {
  await cleanup();
}
