import http from "node:http";
import http2 from "node:http2";
import net from "node:net";

type Handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

/** Answers an HTTP/2 stream itself and returns true, or returns false to leave it to `handler`. */
export type StreamTaker = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => boolean;

export interface OnePortServer {
  listen(port: number, host: string): Promise<net.AddressInfo>;
  /** Stops accepting, lets in-flight calls finish, and force-closes what is left after `graceMs`. */
  close(graceMs: number): Promise<void>;
}

const preface = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * One TCP port for HTTP/2 cleartext (gRPC, Connect, gRPC-web) and HTTP/1.1 (Connect, gRPC-web,
 * curl). Node's http2 server refuses HTTP/1.1 without TLS, so each connection's first bytes are
 * read: the HTTP/2 client preface goes to the http2 server, anything else to the http one.
 */
export function createOnePortServer(handler: Handler, takeStream?: StreamTaker): OnePortServer {
  const h1 = http.createServer(handler as http.RequestListener);
  const h2 = http2.createServer({}, handler as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
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
  const sessions = new Set<http2.Http2Session>();
  const sockets = new Set<net.Socket>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });

  const front = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const compared = Math.min(head.length, preface.length);
      const isH2 = head.subarray(0, compared).equals(preface.subarray(0, compared));
      if (isH2 && head.length < preface.length) return;
      socket.off("data", onData);
      socket.pause();
      // Both servers read what was unshifted before they read the socket itself; resuming
      // here would instead hand those bytes to nobody.
      socket.unshift(head);
      (isH2 ? h2 : h1).emit("connection", socket);
      // The http server reads a paused socket only once it flows again; http2 resumes by itself.
      if (!isH2) socket.resume();
    };
    socket.on("data", onData);
    socket.on("error", () => socket.destroy());
  });

  return {
    listen(port, host) {
      return new Promise((resolve, reject) => {
        front.once("error", reject);
        front.listen(port, host, () => {
          front.off("error", reject);
          resolve(front.address() as net.AddressInfo);
        });
      });
    },
    async close(graceMs) {
      const closed = new Promise<void>((resolve) => front.close(() => resolve()));
      h1.closeIdleConnections();
      for (const session of sessions) session.close();
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
