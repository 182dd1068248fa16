import { cors as connectCors } from "@connectrpc/connect";
import type { HttpRequest, HttpResponse, HttpRoute } from "./http-route.js";

export interface CorsOptions {
  /** Exact origins allowed to call from a browser; `*` allows any (only with tokens: see checkExposure). */
  origins: readonly string[];
}

const allowHeaders = [...connectCors.allowedHeaders, "authorization", "x-request-id"].join(", ");
const exposeHeaders = [...connectCors.exposedHeaders, "x-request-id"].join(", ");
const allowMethods = [...connectCors.allowedMethods, "OPTIONS"].join(", ");
/** How long a browser may reuse a preflight's answer, in seconds. */
const maxAge = "7200";

/**
 * CORS for browser dashboards on other origins. Answers preflights itself (204 for an allowed
 * origin, 403 with no CORS headers for any other) and adds the CORS headers to every answer to an
 * allowed origin; requests from a disallowed origin get no CORS headers, so the browser hides the
 * answer. Calls still pass the access check as any other.
 */
export function createCors(options: CorsOptions): HttpRoute {
  const anyOrigin = options.origins.includes("*");
  const allowed = new Set(options.origins);
  const allowOrigin = (origin: string) => (anyOrigin ? "*" : allowed.has(origin) ? origin : undefined);

  return (req: HttpRequest, res: HttpResponse) => {
    const origin = req.headers.origin;
    if (typeof origin !== "string") return false;
    const granted = allowOrigin(origin);
    const preflight = req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined;
    res.setHeader("vary", "Origin");
    if (!granted) {
      if (!preflight) return false;
      res.writeHead(403, { "content-type": "text/plain; charset=utf-8" });
      res.end("origin not allowed: add it to --cors-origins\n");
      return true;
    }
    res.setHeader("access-control-allow-origin", granted);
    if (!preflight) {
      res.setHeader("access-control-expose-headers", exposeHeaders);
      return false;
    }
    res.writeHead(204, {
      "access-control-allow-methods": allowMethods,
      "access-control-allow-headers": allowHeaders,
      "access-control-max-age": maxAge,
      // Private Network Access: a page on a public origin asks before it calls a loopback
      // dockhand. Granted only to an origin the operator listed, and only when it asks.
      ...(req.headers["access-control-request-private-network"] === "true" && !anyOrigin
        ? { "access-control-allow-private-network": "true" }
        : {}),
    });
    res.end();
    return true;
  };
}
