import type http2 from "node:http2";
import {
  context,
  defaultTextMapGetter,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
} from "@opentelemetry/api";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Tracing } from "../lib/tracing.js";
import type { HttpRequest, HttpResponse } from "./http-route.js";
import type { StreamTaker } from "./one-port-server.js";
import { withStreamOutcome } from "./stream-outcome.js";

const rpcPath = /^\/([a-zA-Z_][\w]*(?:\.[\w]+)+)\/(\w+)$/;

/** gRPC codes a server span counts as its own failure (the RPC semantic conventions' list). */
const serverFaults = new Set([
  Code.Unknown,
  Code.DeadlineExceeded,
  Code.Unimplemented,
  Code.Internal,
  Code.Unavailable,
  Code.DataLoss,
]);

/** The span a request gets, by its path: an RPC's, a seed route's, or none (assets, /metrics, health). */
function spanOf(
  path: string,
  method: string,
  contentType: string,
): { name: string; attributes: Attributes } | undefined {
  const rpc = rpcPath.exec(path);
  if (rpc) {
    const system = contentType.startsWith("application/grpc") ? "grpc" : "connect_rpc";
    return {
      name: `${rpc[1]}/${rpc[2]}`,
      attributes: {
        "rpc.system": system,
        "rpc.service": rpc[1],
        "rpc.method": rpc[2],
        ...(contentType.startsWith("application/grpc-web") ? { "dockhand.protocol": "grpc-web" } : {}),
      },
    };
  }
  if (path === "/_mistify_RPC_")
    return {
      name: "mistify",
      attributes: { "rpc.system": "jsonrpc", "rpc.jsonrpc.version": "1.0", "rpc.service": "MDocker" },
    };
  const genisys = /^\/service(\/[^/]+)?(\/scale|\/status)?$/.exec(path);
  if (genisys) {
    const route = `/service${genisys[1] ? "/{name}" : ""}${genisys[2] ?? ""}`;
    return { name: `${method} ${route}`, attributes: { "http.request.method": method, "http.route": route } };
  }
  return undefined;
}

function startServerSpan(tracing: Tracing, headers: Record<string, unknown>, name: string, attributes: Attributes) {
  const parent = tracing.propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
  const span = tracing.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parent);
  return { span, active: trace.setSpan(parent, span) };
}

/** Records a gRPC code on an RPC's span, as the RPC semantic conventions name it for its system. */
function recordCode(span: Span, code: Code | 0, message?: string): void {
  if (span.isRecording() === false) return;
  span.setAttribute("rpc.grpc.status_code", code);
  if (code !== 0)
    span.setAttribute(
      "rpc.connect_rpc.error_code",
      Code[code]?.replace(/[A-Z]/g, (c, i: number) => `${i ? "_" : ""}${c.toLowerCase()}`) ?? "unknown",
    );
  if (code !== 0 && serverFaults.has(code))
    span.setStatus({ code: SpanStatusCode.ERROR, message: message?.slice(0, 200) });
}

/**
 * A server span around every RPC and seed route call the request handler serves, continuing the
 * caller's W3C `traceparent`, active while the call runs (so the orchestrator's and the engine's
 * spans nest under it) and ended when the answer is complete. Installed only when tracing is on.
 */
export function traceRequests(
  handler: (req: HttpRequest, res: HttpResponse) => void,
  tracing: Tracing,
): (req: HttpRequest, res: HttpResponse) => void {
  return (req, res) => {
    const path = (req.url ?? "").split("?", 1)[0]!;
    const target = spanOf(path, req.method ?? "", req.headers["content-type"] ?? "");
    if (!target) return handler(req, res);
    const { span, active } = startServerSpan(tracing, req.headers, target.name, {
      ...target.attributes,
      "network.protocol.name": "http",
      "network.protocol.version": req.httpVersion,
    });
    res.once("close", () => {
      span.setAttribute("http.response.status_code", res.statusCode);
      if (res.statusCode >= 500 && target.attributes["rpc.system"] !== "grpc")
        span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(active, () => handler(req, res));
  };
}

/** The GetStatus fast path's calls, traced as the request handler's are; other streams pass untouched. */
export function traceStatusFastPath(take: StreamTaker, tracing: Tracing): StreamTaker {
  return (stream, headers) => {
    if (headers[":path"] !== "/dockhand.v1.Scaler/GetStatus") return take(stream, headers);
    const { span, active } = startServerSpan(tracing, headers, "dockhand.v1.Scaler/GetStatus", {
      "rpc.system": "grpc",
      "rpc.service": "dockhand.v1.Scaler",
      "rpc.method": "GetStatus",
      "network.protocol.name": "http",
      "network.protocol.version": "2.0",
      "dockhand.fast_path": true,
    });
    // Declined: the request handler serves it, and traces it; this span is dropped unended.
    if (!context.with(active, () => take(stream, headers))) return false;
    stream.once("close", () => {
      const sent = (stream as http2.ServerHttp2Stream & { sentTrailers?: http2.OutgoingHttpHeaders }).sentTrailers;
      const status = sent?.["grpc-status"] ?? stream.sentHeaders?.["grpc-status"];
      if (status !== undefined) recordCode(span, Number(status) as Code | 0);
      span.end();
    });
    return true;
  };
}

/** Puts each RPC's final code on its span (a stream's when it ends), for the request handler's spans. */
export function createTracingInterceptor(): Interceptor {
  return (next) => async (req) => {
    const span = trace.getActiveSpan();
    if (span === undefined) return next(req);
    let res;
    try {
      res = await next(req);
    } catch (err) {
      const error = ConnectError.from(err);
      recordCode(span, error.code, error.rawMessage);
      throw err;
    }
    if (!res.stream) {
      recordCode(span, 0);
      return res;
    }
    return withStreamOutcome(req.signal, res, (err) => {
      const error = err === undefined ? undefined : ConnectError.from(err);
      recordCode(span, error?.code ?? 0, error?.rawMessage);
    });
  };
}
