import type { AccessControl } from "./auth/access-control.js";
import { codeToHttpStatus } from "@connectrpc/connect/protocol-connect";
import { refusalCode } from "./auth/audit.js";
import { certSubjectOf } from "./auth/peer-identity.js";
import type { HttpRequest, HttpResponse, HttpRoute } from "./http-route.js";

export interface RequestHandlerOptions {
  /** Refuses, before anything reads the request, what a browser must not send (foreign Host, Origin). */
  boundary: HttpRoute;
  /** Answers next, or adds headers for those after it: CORS. */
  cors?: HttpRoute;
  /** Plain-HTTP routes tried in order before the RPCs. */
  routes: readonly HttpRoute[];
  /** The Connect adapter: every RPC, and the plain endpoints as its fallback. */
  rpc: (req: HttpRequest, res: HttpResponse) => void;
  access: AccessControl;
  /** /metrics needs a viewer's credentials. */
  metricsAuth: boolean;
}

/** Guards `/metrics` with the same access check as the RPCs, when asked to. */
function metricsGuard(access: AccessControl): HttpRoute {
  return (req, res) => {
    if ((req.url ?? "").split("?")[0] !== "/metrics") return false;
    const decision = access.check("/metrics", {
      authorization: req.headers.authorization,
      certSubject: certSubjectOf(req),
    });
    if (decision.allowed) return false;
    const status = codeToHttpStatus(refusalCode(decision));
    res.writeHead(status, {
      "content-type": "text/plain; charset=utf-8",
      ...(status === 401 ? { "www-authenticate": "Bearer" } : {}),
    });
    res.end(`${decision.message}\n`);
    return true;
  };
}

/**
 * The one request handler behind the port: the browser boundary, CORS, plain-HTTP routes, then
 * the RPCs. Every answer says `nosniff`, so no browser reads an error that quotes its input as a page.
 */
export function createRequestHandler(options: RequestHandlerOptions): (req: HttpRequest, res: HttpResponse) => void {
  const routes = [
    options.boundary,
    ...(options.cors ? [options.cors] : []),
    ...(options.metricsAuth && options.access.enabled ? [metricsGuard(options.access)] : []),
    ...options.routes,
  ];
  return (req, res) => {
    res.setHeader("x-content-type-options", "nosniff");
    for (const route of routes) if (route(req, res)) return;
    options.rpc(req, res);
  };
}
