import type { Logger } from "pino";
import type { HttpRequest, HttpResponse, HttpRoute } from "../http-route.js";
import { type DashboardAsset, defaultDashboardRoot, loadDashboardAssets } from "./dashboard-assets.js";

export interface DashboardRouteOptions {
  /** The wire protocol the page speaks to dockhand: "grpcweb" or "connect". */
  protocol: string;
  /** Folder of the built dashboard. Default: dist/dashboard of the dockhand package. */
  root?: string;
  logger: Logger;
}

/** The page may only load what dockhand serves, and only talk to dockhand. */
const pageSecurity = {
  "content-security-policy":
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  "referrer-policy": "no-referrer",
};

/** The encoding to send: brotli, then gzip, when the client accepts it and a copy exists. */
function encodingFor(req: HttpRequest, asset: DashboardAsset): "br" | "gzip" | undefined {
  const accepted = new Set(
    String(req.headers["accept-encoding"] ?? "")
      .split(",")
      .map((part) => part.trim().split(";"))
      .filter(([, q]) => q === undefined || !/^q=0(\.0*)?$/.test(q.trim()))
      .map(([name]) => name.trim().toLowerCase()),
  );
  if (asset.br && accepted.has("br")) return "br";
  if (asset.gzip && accepted.has("gzip")) return "gzip";
  return undefined;
}

/**
 * Serves the dashboard: `GET /` (and `/index.html`) and its `/assets/...`, from memory, with
 * content types, ETags, long caching for the hashed assets, and brotli or gzip. GET and HEAD
 * only. Other paths are left to the routes after it.
 */
export function createDashboardRoute(options: DashboardRouteOptions): HttpRoute {
  const root = options.root ?? defaultDashboardRoot();
  const assets = loadDashboardAssets(root, options.protocol);
  if (!assets) options.logger.warn({ root }, "the dashboard is not built (npm run build); GET / says so");
  return (req: HttpRequest, res: HttpResponse) => {
    const path = (req.url ?? "/").split("?")[0];
    const key = path === "/index.html" ? "/" : path;
    if (key !== "/" && !key.startsWith("/assets/")) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" });
      res.end("only GET and HEAD\n");
      return true;
    }
    const asset = assets?.get(key);
    if (!asset) {
      const status = assets ? 404 : 503;
      res.writeHead(status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
      res.end(assets ? "not found\n" : "the dashboard is not built: run npm run build\n");
      return true;
    }
    const headers: Record<string, string> = {
      "content-type": asset.contentType,
      "cache-control": asset.cacheControl,
      etag: asset.etag,
      vary: "accept-encoding",
      "x-content-type-options": "nosniff",
      ...(key === "/" ? pageSecurity : {}),
    };
    if (req.headers["if-none-match"] === asset.etag) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    const encoding = encodingFor(req, asset);
    const body = encoding === "br" ? asset.br! : encoding === "gzip" ? asset.gzip! : asset.body;
    if (encoding) headers["content-encoding"] = encoding;
    headers["content-length"] = String(body.length);
    res.writeHead(200, headers);
    if (req.method === "HEAD") res.end();
    else res.end(body);
    return true;
  };
}
