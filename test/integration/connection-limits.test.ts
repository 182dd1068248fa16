import http2 from "node:http2";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLoggedServer, type LoggedServer } from "../support/secure-server.js";
import { until } from "../support/until.js";

/** One GET /healthz on a new HTTP/2 connection: true on 200; false on any failure, or after 5 s. */
function healthz(url: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const session = http2.connect(url);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      session.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 5000);
    session.on("error", () => done(false)).on("close", () => done(false));
    const stream = session.request({ ":path": "/healthz" });
    stream.once("response", (h) => done(h[":status"] === 200));
    stream.once("error", () => done(false));
    stream.resume();
  });
}

/** The per-connection and listener limits, on a cleartext loopback server with small ones. */
describe("connection limits", () => {
  let server: LoggedServer;
  beforeAll(async () => {
    server = await startLoggedServer({
      maxConnections: 4,
      maxStreamsPerConnection: 3,
      idleTimeoutMs: 1000,
      headerTimeoutMs: 30_000,
      logLevel: "silent",
    });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const connect = () =>
    new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect(server.port, "127.0.0.1", () => resolve(socket));
      socket.once("error", reject);
    });

  it("closes connections over the listener's cap at accept, and takes new ones once others leave", async () => {
    const held = await Promise.all([1, 2, 3, 4].map(connect));
    const extra = await connect();
    let extraClosed = false;
    extra
      .on("close", () => (extraClosed = true))
      .on("error", () => undefined)
      .resume();
    await until(() => extraClosed, 20_000);
    expect(held.every((s) => !s.destroyed)).toBe(true);
    for (const s of held) s.destroy();
    await until(() => healthz(server.url), 20_000);
  });

  it("tells HTTP/2 clients the stream cap, and closes a connection left idle, but not one with a quiet stream open", async () => {
    const idle = http2.connect(server.url);
    const settings = await new Promise<http2.Settings>((resolve) => idle.once("remoteSettings", resolve));
    expect(settings.maxConcurrentStreams).toBe(3);
    let idleClosed = false;
    idle.on("close", () => (idleClosed = true)).on("error", () => undefined);
    await until(() => idleClosed, 20_000);

    // A WatchEvents stream that has nothing to say keeps its connection past the idle time.
    const busy = http2.connect(server.url);
    busy.on("error", () => undefined);
    const stream = busy.request({
      ":method": "POST",
      ":path": "/dockhand.v1.ContainerAgent/WatchEvents",
      "content-type": "application/connect+json",
    });
    const body = Buffer.from("{}");
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, 5);
    stream.end(frame);
    const status = await new Promise<number>((resolve) =>
      stream.once("response", (h) => resolve(Number(h[":status"]))),
    );
    expect(status).toBe(200);
    const openedAt = Date.now();
    await until(() => Date.now() - openedAt > 2500, 10_000);
    expect(busy.closed || busy.destroyed).toBe(false);
    stream.close();
    busy.close();
  });
});
