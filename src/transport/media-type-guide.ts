import type { UniversalHandler } from "@connectrpc/connect/protocol";
import { parseContentType } from "@connectrpc/connect/protocol-connect";
import type { HttpRoute } from "./http-route.js";

const unaryTypes = "application/json or application/proto (Connect)";
const streamTypes =
  "application/connect+json or application/connect+proto (Connect streaming: each message in a 5-byte envelope, one flag byte and a 4-byte big-endian length)";
const grpcTypes = "application/grpc[+proto|+json] (gRPC) or application/grpc-web[+proto|+json] (gRPC-web)";

/** What a client must send to call `handler`, in words a curl user can act on. */
function explanation(handler: UniversalHandler, sent: string): string {
  const procedure = handler.requestPath.slice(1);
  const got = sent === "" ? "no content-type" : `content-type ${JSON.stringify(sent.slice(0, 64))}`;
  switch (handler.method.methodKind) {
    case "unary":
      return `${procedure} takes ${unaryTypes}, or ${grpcTypes}; got ${got}. With curl: -H 'content-type: application/json' -d '{...}'\n`;
    case "server_streaming":
      return `${procedure} is a server stream: it takes ${streamTypes}, or ${grpcTypes}; got ${got}. buf curl speaks all of them (see docs/streams.md)\n`;
    default:
      return `${procedure} streams from the client: it takes ${grpcTypes} over HTTP/2, or ${streamTypes}; got ${got}\n`;
  }
}

/** Whether connect-node would hand the request to the procedure: its content type and stream-ness fit. */
function accepted(handler: UniversalHandler, contentType: string): boolean {
  if (!handler.supportedContentType(contentType)) return false;
  const connect = parseContentType(contentType);
  return connect === undefined || connect.stream === (handler.method.methodKind !== "unary");
}

/**
 * Answers a POST to a procedure in a content type it does not take (plain curl's form encoding,
 * JSON to a stream) with connect-node's 415, plus a body saying what it takes and an
 * `accept-post` header: connect-node itself answers 415 with an empty body. Every other request
 * is left to the adapter. `handlers` is read on first use (the router fills it as it is built).
 */
export function createMediaTypeGuide(handlers: readonly UniversalHandler[]): HttpRoute {
  let byPath: Map<string, UniversalHandler> | undefined;
  return (req, res) => {
    if (req.method !== "POST") return false;
    byPath ??= new Map(handlers.map((h) => [h.requestPath, h]));
    const handler = byPath.get((req.url ?? "").split("?", 1)[0]!);
    const contentType = req.headers["content-type"] ?? "";
    if (handler === undefined || accepted(handler, contentType)) return false;
    res.writeHead(415, {
      "content-type": "text/plain; charset=utf-8",
      "accept-post":
        handler.method.methodKind === "unary"
          ? "application/json, application/proto, application/grpc, application/grpc-web"
          : "application/connect+json, application/connect+proto, application/grpc, application/grpc-web",
    });
    res.end(explanation(handler, contentType));
    return true;
  };
}
