import type http from "node:http";
import type { HttpRequest, HttpResponse, HttpRoute } from "./http-route.js";

/** The request headers the boundary reads (HTTP/1.1's `host`, HTTP/2's `:authority`). */
type Headers = http.IncomingHttpHeaders & { ":authority"?: string };

export interface BrowserBoundaryOptions {
  /** Refuse a `Host` that is not a loopback name, the bound address or one of `allowedHosts`. */
  checkHost: boolean;
  /** The address the port is bound to; accepted as a `Host` when it is not a wildcard. */
  bind: string;
  /** `--allowed-hosts`: `HOST` (any port) or `HOST:PORT`, as a `Host` header carries it. */
  allowedHosts: readonly string[];
  /** `--cors-origins`: origins other than dockhand's own that may call; `*` for any. */
  corsOrigins: readonly string[];
  /** The scheme of dockhand's own origin. */
  tls: boolean;
}

export interface BrowserBoundary {
  /** Why this request is refused, naming the setting that would admit it; undefined to admit it. */
  refusal(headers: Headers): string | undefined;
  /** Answers a refused request with 403 and its reason; returns false for an admitted one. */
  readonly route: HttpRoute;
}

const loopbackNames = ["127.0.0.1", "localhost", "[::1]"];
const wildcards = new Set(["0.0.0.0", "::", "[::]"]);

/** `name[:port]` of a Host value, lower-cased; an IPv6 literal keeps its brackets. */
function splitHost(value: string): { name: string; port?: string } | undefined {
  const host = value.trim().toLowerCase();
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host);
  return match ? { name: match[1]!, port: match[2] } : undefined;
}

/** The bound address as a Host header names it (IPv6 in brackets). */
function hostName(address: string): string {
  return address.includes(":") && !address.startsWith("[") ? `[${address.toLowerCase()}]` : address.toLowerCase();
}

/**
 * The browser boundary: every request passes it before anything else reads it (the plain-HTTP
 * routes, the RPCs, the status fast path). It closes two doors a web page could use:
 * - DNS rebinding: a page on a name its owner points at 127.0.0.1 is same-origin with a
 *   loopback dockhand. Its requests carry that name in `Host`, so only dockhand's own names
 *   (loopback, the bound address, `--allowed-hosts`) are accepted.
 * - Cross-origin calls: a request that carries an `Origin` other than dockhand's own, or one
 *   listed in `--cors-origins`, is refused before it reaches a handler, whatever it asks for.
 * Clients that are not browsers send no `Origin`, and their `Host` is the address they dialled.
 */
export function createBrowserBoundary(options: BrowserBoundaryOptions): BrowserBoundary {
  const scheme = options.tls ? "https" : "http";
  const anyOrigin = options.corsOrigins.includes("*");
  const origins = new Set(options.corsOrigins);
  const ownNames = [...loopbackNames, ...(wildcards.has(options.bind) ? [] : [hostName(options.bind)])];
  const namesAnyPort = new Set<string>();
  const namesWithPort = new Set<string>();
  for (const entry of options.allowedHosts) {
    const split = splitHost(entry);
    if (!split) continue;
    if (split.port) namesWithPort.add(`${split.name}:${Number(split.port)}`);
    else namesAnyPort.add(split.name);
  }
  const defaultPort = options.tls ? 443 : 80;

  // dockhand's own names are taken on any port: a published container port or a proxy shows
  // dockhand under another number, and a page cannot be served from a loopback name it does not
  // own (a page on another local port is told apart by its Origin).
  const hostAccepted = (value: string): boolean => {
    const split = splitHost(value);
    if (!split) return false;
    if (namesAnyPort.has(split.name) || ownNames.includes(split.name)) return true;
    const hostPort = split.port === undefined ? defaultPort : Number(split.port);
    return namesWithPort.has(`${split.name}:${hostPort}`);
  };

  const refusal = (headers: Headers): string | undefined => {
    const host = headers[":authority"] ?? headers.host;
    // A request with no Host at all did not come from a browser, which always sends one.
    if (options.checkHost && host !== undefined && !hostAccepted(host)) {
      return `host "${boundText(host)}" is not one of dockhand's names: add it to --allowed-hosts if clients really dial it`;
    }
    const origin = headers.origin;
    if (origin === undefined || anyOrigin || origins.has(origin)) return undefined;
    if (host !== undefined && origin.toLowerCase() === `${scheme}://${host.toLowerCase()}`) return undefined;
    return `origin "${boundText(origin)}" may not call dockhand: add it to --cors-origins to let its pages call`;
  };

  return {
    refusal,
    route(req: HttpRequest, res: HttpResponse) {
      const reason = refusal(req.headers as Headers);
      if (reason === undefined) return false;
      res.writeHead(403, {
        "content-type": "text/plain; charset=utf-8",
        "x-content-type-options": "nosniff",
        "cache-control": "no-store",
      });
      res.end(`${reason}\n`);
      return true;
    },
  };
}

/** A header value as quoted back: bounded, and only printable ASCII. */
function boundText(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]/g, "?");
  return printable.length > 100 ? `${printable.slice(0, 100)}…` : printable;
}
