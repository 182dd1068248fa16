import { Code } from "@connectrpc/connect";
import type { Engine } from "../../engine/engine.js";
import { isDockhandError } from "../../model/dockhand-error.js";
import { boundMessage, quote } from "../../model/quote.js";
import { toConnectError } from "../../transport/error-codes.js";
import { certSubjectOf } from "../../transport/auth/peer-identity.js";
import type { HttpResponse, HttpRoute } from "../../transport/http-route.js";
import { createLoadUrlPolicy } from "../../rpc/container-agent/load-url-policy.js";
import { mediaTypeOf, readRequestBody } from "../request-body.js";
import { createRouteCalls, type Refusal, type RouteCallsOptions } from "../route-calls.js";
import { createImageServiceAddress } from "./image-service-address.js";
import { decodeRpcRequest, encodeRpcReply, RpcMethodError, RpcTransportError } from "./json-rpc-envelope.js";
import { createContainerMethods } from "./mdocker-containers.js";
import { createGuestMethods } from "./mdocker-guests.js";
import { createImageMethods } from "./mdocker-images.js";

export interface MistifyRouteOptions extends RouteCallsOptions {
  engine: Engine;
  /** `HOST[:PORT]` LoadImage downloads `/images/<id>/download` from; no port: DNS SRV of HOST. */
  imageService: string;
  /** LoadImage's limits and URL policy: the typed LoadImage's settings. */
  limits: { loadMaxBytes: number; loadTimeoutMs: number; loadAllowedHosts?: readonly string[] };
  /** Largest request body, in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** SRV lookup, for tests. Default: the system resolver. */
  lookupSrv?: (name: string) => Promise<Array<{ port: number }>>;
}

export const mistifyPath = "/_mistify_RPC_";

function answerText(res: HttpResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    "content-type": "text/plain; charset=utf-8",
    "x-content-type-options": "nosniff",
    ...headers,
  });
  res.end(`${text}\n`);
}

const refuseMistify = (res: HttpResponse, refusal: Refusal) =>
  answerText(
    res,
    refusal.status,
    refusal.message,
    refusal.code === Code.Unauthenticated ? { "www-authenticate": "Bearer" } : {},
  );

/**
 * The mistify agent's JSON-RPC (`POST /_mistify_RPC_`, gorilla/rpc v1 envelope) with its 16
 * `MDocker.*` methods, over the ContainerAgent's handlers and the engine module.
 */
export function createMistifyRoute(options: MistifyRouteOptions): HttpRoute {
  const run = createRouteCalls(options);
  const methods: Record<string, (param: unknown, signal: AbortSignal) => Promise<unknown>> = {
    ...createGuestMethods(options.engine),
    ...createContainerMethods(options.engine),
    ...createImageMethods({
      engine: options.engine,
      imageService: createImageServiceAddress(options.imageService, options.lookupSrv),
      limits: { maxBytes: options.limits.loadMaxBytes, timeoutMs: options.limits.loadTimeoutMs },
      urlPolicy: createLoadUrlPolicy({ allowedHosts: options.limits.loadAllowedHosts }),
    }),
  };
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;

  async function serve(req: Parameters<HttpRoute>[0], res: HttpResponse): Promise<void> {
    const read = await readRequestBody(req, maxBodyBytes);
    if (read.kind === "aborted") return;
    if (read.kind === "too-large") {
      if ("shouldKeepAlive" in res) res.shouldKeepAlive = false;
      return answerText(res, 413, `rpc: request body over ${maxBodyBytes} bytes`);
    }
    let request;
    try {
      request = decodeRpcRequest(read.bytes.toString("utf8"));
    } catch (err) {
      return answerText(res, (err as RpcTransportError).status ?? 400, (err as Error).message);
    }
    const parts = request.method.split(".");
    if (parts.length !== 2)
      return answerText(res, 400, `rpc: service/method request ill-formed: ${quote(request.method)}`);
    if (parts[0] !== "MDocker") return answerText(res, 400, `rpc: can't find service ${quote(request.method)}`);
    const method = Object.hasOwn(methods, parts[1]) ? methods[parts[1]] : undefined;
    if (!method) return answerText(res, 400, `rpc: can't find method ${quote(request.method)}`);

    run(req, res, `mistify/${request.method}`, refuseMistify, async (call) => {
      let result: unknown;
      let error: string | undefined;
      let code: Code | undefined;
      try {
        result = await method(request.param, call.signal);
      } catch (err) {
        if (err instanceof RpcTransportError) {
          answerText(res, err.status, err.message);
          return Code.InvalidArgument;
        }
        // Every other failure is the method's: HTTP 200 with its text, never an empty 500.
        error = boundMessage(err instanceof Error ? err.message : String(err));
        const cause = err instanceof RpcMethodError ? err.cause : err;
        code =
          isDockhandError(cause) || !(err instanceof RpcMethodError)
            ? toConnectError(cause).code
            : Code.FailedPrecondition;
      }
      // A notification (null or no id) runs all the same, and is answered with an empty body.
      const body = request.rawId === undefined ? "" : encodeRpcReply(request.rawId, result, error);
      res.writeHead(200, {
        "content-type": "application/json; charset=utf-8",
        "x-content-type-options": "nosniff",
        "content-length": Buffer.byteLength(body),
      });
      res.end(body);
      return code;
    });
  }

  return (req, res) => {
    if ((req.url ?? "").split("?", 1)[0] !== mistifyPath) return false;
    if (req.method !== "POST") {
      answerText(res, 405, `rpc: POST method required, received ${req.method}`);
      return true;
    }
    const contentType = mediaTypeOf(req);
    if (contentType !== "application/json") {
      const header = req.headers["content-type"];
      answerText(
        res,
        415,
        `rpc: unrecognized Content-Type: ${String(Array.isArray(header) ? header[0] : (header ?? ""))}`,
      );
      return true;
    }
    // The method is named in the body, so its role is checked after the body is read; but a
    // caller without valid credentials is refused before a byte of it is.
    const identity = options.access.authenticate({
      authorization: req.headers.authorization,
      certSubject: certSubjectOf(req),
    });
    if (!identity.allowed) {
      refuseMistify(res, { status: 401, code: Code.Unauthenticated, message: identity.message });
      return true;
    }
    serve(req, res).catch((err: unknown) => {
      if (!res.headersSent) answerText(res, 500, `rpc: ${(err as Error).message}`);
    });
    return true;
  };
}
