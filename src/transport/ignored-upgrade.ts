import type http from "node:http";
import type { Duplex } from "node:stream";

/** Hop-by-hop headers of an upgrade offer, dropped when the offer is declined. */
const upgradeHeaders = new Set(["upgrade", "connection", "http2-settings"]);

/**
 * Serves an HTTP/1.1 request that offered an upgrade dockhand does not take (curl's `--http2`
 * over http:// offers `Upgrade: h2c`, even on a POST with a body) as the plain request it also
 * is, which RFC 9110 lets a server do. Once an `upgrade` listener exists, Node hands every such
 * request to it with the connection taken off the HTTP parser; so the request's head is written
 * again without its upgrade headers, put back in front of what the client sent after it, and
 * the connection is given to `server` as a new one, which parses it as usual (keep-alive too).
 */
export function serveIgnoringUpgrade(
  server: http.Server,
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
): void {
  const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    if (!upgradeHeaders.has(name.toLowerCase())) lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
  }
  socket.unshift(Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), head]));
  server.emit("connection", socket);
}
