import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import tls from "node:tls";
import type { Duplex } from "node:stream";
import { trackIdleSessions } from "./idle-sessions.js";
import { serveIgnoringUpgrade } from "./ignored-upgrade.js";

type Handler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void;

/** Answers an HTTP/2 stream itself and returns true, or returns false to leave it to `handler`. */
export type StreamTaker = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => boolean;

/** Takes an HTTP/1.1 upgrade request (a WebSocket) and returns true, or returns false to serve it as a plain request. */
export type UpgradeTaker = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => boolean;

/** What one connection, and the listener as a whole, may hold. */
export interface ConnectionLimits {
  /** Connections held at once; more are closed at accept. */
  maxConnections: number;
  /** Concurrent streams on one HTTP/2 connection. */
  maxStreamsPerConnection: number;
  /** Largest request header block, in bytes. */
  maxHeaderBytes: number;
  /** Time to finish the TLS handshake, the first bytes, and each request's headers, in ms. */
  headerTimeoutMs: number;
  /** Time a connection with nothing in flight is kept, in ms. */
  idleTimeoutMs: number;
}

export interface OnePortServerOptions {
  handler: Handler;
  takeStream?: StreamTaker;
  takeUpgrade?: UpgradeTaker;
  limits: ConnectionLimits;
  /** Serve TLS (ALPN h2 and http/1.1) with this context instead of cleartext. */
  tls?: {
    context: tls.SecureContextOptions;
    /** Ask clients for a certificate and refuse those the context's `ca` did not sign. */
    requireClientCertificate: boolean;
  };
}

export interface OnePortServer {
  listen(port: number, host: string): Promise<net.AddressInfo>;
  /** New TLS connections use this context; live ones keep theirs. */
  setSecureContext(context: tls.SecureContextOptions): void;
  /** Stops accepting, lets in-flight calls finish, and force-closes what is left after `graceMs`. */
  close(graceMs: number): Promise<void>;
}

const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * One TCP port for HTTP/2 (gRPC, Connect, gRPC-web) and HTTP/1.1 (Connect, gRPC-web, curl).
 * Over TLS, ALPN picks the protocol. In cleartext, Node's http2 server refuses HTTP/1.1, so each
 * connection's first bytes are read: the HTTP/2 client preface goes to the http2 server,
 * anything else to the http one.
 */
export function createOnePortServer(options: OnePortServerOptions): OnePortServer {
  const { handler, takeStream, limits } = options;
  const h1 = http.createServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headerTimeoutMs,
      // The default request timeout (5 minutes) would cut long streams over HTTP/1.1.
      requestTimeout: 0,
      keepAliveTimeout: limits.idleTimeoutMs,
      // How often the header deadline is looked at; Node's default is 30 s.
      connectionsCheckingInterval: Math.max(100, Math.min(1000, limits.headerTimeoutMs / 4)),
    },
    handler as http.RequestListener,
  );
  const h2 = http2.createServer(
    {
      settings: { maxConcurrentStreams: limits.maxStreamsPerConnection, maxHeaderListSize: limits.maxHeaderBytes },
      maxSessionInvalidFrames: 100,
    },
    handler as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
  );
  if (takeStream) {
    // Node's request/response layer is itself a "stream" listener: streams the taker answers
    // never reach it; all others go on to it unchanged.
    const compat = h2.listeners("stream") as Array<(...args: unknown[]) => void>;
    h2.removeAllListeners("stream");
    h2.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, ...rest: unknown[]) => {
      if (takeStream(stream, headers)) return;
      for (const listener of compat) listener.call(h2, stream, headers, ...rest);
    });
  }
  const { takeUpgrade } = options;
  if (takeUpgrade)
    h1.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!takeUpgrade(req, socket, head)) serveIgnoringUpgrade(h1, req, socket, head);
    });
  const sessions = trackIdleSessions(h2, limits.idleTimeoutMs);
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  };

  let front: net.Server;
  let secure: tls.Server | undefined;
  if (options.tls) {
    secure = tls.createServer({
      ...options.tls.context,
      // Small frames (a status, its trailers) go out at once, not held back by Nagle's algorithm.
      noDelay: true,
      ALPNProtocols: ["h2", "http/1.1"],
      requestCert: options.tls.requireClientCertificate,
      rejectUnauthorized: options.tls.requireClientCertificate,
      handshakeTimeout: limits.headerTimeoutMs,
    });
    secure.on("secureConnection", (socket: tls.TLSSocket) => {
      track(socket);
      (socket.alpnProtocol === "h2" ? h2 : h1).emit("connection", socket);
    });
    // A failed handshake (no or a wrong client certificate) ends that connection only.
    secure.on("tlsClientError", (_err, socket) => socket.destroy());
    const tlsServer = secure;
    // The first byte tells a TLS handshake (a record of type 22) from a cleartext client, who
    // is told in plain HTTP what to do instead of getting an empty reply.
    front = net.createServer({ noDelay: true }, (socket) => {
      track(socket);
      socket.setTimeout(limits.headerTimeoutMs, () => socket.destroy());
      socket.once("data", (chunk: Buffer) => {
        socket.setTimeout(0);
        if (chunk[0] === 0x16) {
          socket.pause();
          socket.unshift(chunk);
          tlsServer.emit("connection", socket);
          return;
        }
        if (/^[A-Z]{3,7} /.test(chunk.subarray(0, 8).toString("latin1"))) {
          const body = "this port speaks TLS: use https:// (or a TLS client)\n";
          socket.end(
            `HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
              `x-content-type-options: nosniff\r\nconnection: close\r\n\r\n${body}`,
          );
          return;
        }
        socket.destroy();
      });
    });
  } else {
    front = net.createServer({ noDelay: true }, (socket) => {
      track(socket);
      // A client that connects and sends nothing is dropped like one that sends headers slowly.
      socket.setTimeout(limits.headerTimeoutMs, () => socket.destroy());
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const compared = Math.min(head.length, preface.length);
        const isH2 = head.subarray(0, compared).equals(preface.subarray(0, compared));
        if (isH2 && head.length < preface.length) return;
        socket.off("data", onData);
        socket.setTimeout(0);
        socket.pause();
        // Both servers read what was unshifted before they read the socket itself; resuming
        // here would instead hand those bytes to nobody.
        socket.unshift(head);
        (isH2 ? h2 : h1).emit("connection", socket);
        // The http server reads a paused socket only once it flows again; http2 resumes by itself.
        if (!isH2) socket.resume();
      };
      socket.on("data", onData);
    });
  }
  front.maxConnections = limits.maxConnections;

  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        front.once("error", reject);
        front.listen(port, host, () => {
          front.off("error", reject);
          // The http server never listens itself, but Node starts its header and request
          // deadline checks on its "listening" event: without this, a slow client is never cut.
          h1.emit("listening");
          resolve(front.address() as net.AddressInfo);
        });
      });
    },
    setSecureContext(context) {
      if (!secure) throw new Error("this server does not serve TLS");
      secure.setSecureContext(context);
    },
    async close(graceMs) {
      const closed = new Promise<void>((resolve) => front.close(() => resolve()));
      h1.closeIdleConnections();
      sessions.closeAll();
      const timer = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      h1.close();
      h2.close();
      await closed;
      clearTimeout(timer);
    },
  };
}
