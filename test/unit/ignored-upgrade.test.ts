import http from "node:http";
import net from "node:net";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveIgnoringUpgrade } from "../../src/transport/ignored-upgrade.js";

describe("an upgrade dockhand does not take is served as the plain request it also is", () => {
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => res.end(`${req.method} ${req.url} upgrade=${req.headers.upgrade ?? "-"} body=${body}`));
  });
  server.on("upgrade", (req: http.IncomingMessage, socket: net.Socket, head: Buffer) =>
    serveIgnoringUpgrade(server, req, socket, head),
  );
  let port = 0;
  beforeAll(async () => {
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => server.close());

  it("answers an h2c offer on a POST with its body, then a second request on the same connection", async () => {
    const socket = net.connect(port, "127.0.0.1");
    let text = "";
    socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
    socket.write(
      "POST /a HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n" +
        "HTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\nContent-Length: 5\r\n\r\nhello",
    );
    socket.write("GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    await once(socket, "end");
    expect(text).toContain("POST /a upgrade=- body=hello");
    expect(text).toContain("GET /b upgrade=- body=");
    expect(text).not.toContain("101 Switching");
  });
});
