/**
 * The baseline of bench:secure's node-tls-ratio: a bare Node HTTP/2 server, in cleartext (h2c) and
 * over TLS, that answers every POST with the same gRPC reply and nothing else (no routing, no
 * auth, no decoding). What TLS costs it is what Node's TLS stream costs, the limit any Node
 * server meets. Run as a child process: `bare-h2-server.ts <cert> <key> <reply hex>`; prints
 * `{"h2c": port, "tls": port}` once both listen, and runs until killed.
 */
import http2 from "node:http2";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";

const [cert, key, replyHex] = process.argv.slice(2);
const reply = Buffer.from(replyHex ?? "", "hex");
const frame = Buffer.alloc(5 + reply.length);
frame.writeUInt32BE(reply.length, 1);
reply.copy(frame, 5);

function answer(stream: http2.ServerHttp2Stream): void {
  stream.on("data", () => undefined);
  stream.once("end", () => {
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(frame);
  });
}

const settings = { maxConcurrentStreams: 256 };
const h2c = http2.createServer({ settings });
const tls = http2.createSecureServer({
  settings,
  cert: readFileSync(cert!),
  key: readFileSync(key!),
  allowHTTP1: false,
  ALPNProtocols: ["h2"],
});
for (const server of [h2c, tls]) server.on("stream", answer);
const listen = (server: http2.Http2Server | http2.Http2SecureServer) =>
  new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)),
  );
console.log(JSON.stringify({ h2c: await listen(h2c), tls: await listen(tls) }));
