/** An HTTP(S) GET that asks the URL policy before connecting and again before each redirect. */
import http from "node:http";
import https from "node:https";
import { DockhandError, invalidArgument } from "../../model/dockhand-error.js";
import { quote } from "../../model/quote.js";
import type { LoadUrlPolicy } from "./load-url-policy.js";

/** The final answer of a GET that followed its redirects. */
export interface PolicedResponse {
  /** The URL that answered, after redirects. */
  url: string;
  status: number;
  statusText: string;
  /** The announced body size; undefined when not announced. */
  contentLength: number | undefined;
  body: AsyncIterable<Uint8Array>;
}

export interface PolicedGetOptions {
  policy: LoadUrlPolicy;
  signal?: AbortSignal;
  /** Field named in errors. Default "url". */
  field?: string;
  /** Redirects followed before giving up. Default 5. */
  maxRedirects?: number;
}

/** An http or https URL without credentials; returns it normalized. */
export function checkUrl(raw: string, field: string): string {
  if (raw === "") throw invalidArgument(field, "is required");
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalidArgument(field, `${quote(raw)} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw invalidArgument(field, `${quote(raw)} must be an http:// or https:// URL`);
  }
  if (url.username || url.password) throw invalidArgument(field, "must not carry credentials");
  return url.href;
}

const redirects = new Set([301, 302, 303, 307, 308]);

function getOnce(url: URL, address: string, signal: AbortSignal | undefined): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const client = url.protocol === "https:" ? https : http;
    const req = client.request({
      // The address the policy checked, never the name again: a second resolution could differ.
      host: address,
      family: address.includes(":") ? 6 : 4,
      port: url.port || (url.protocol === "https:" ? 443 : 80),
      path: `${url.pathname}${url.search}`,
      method: "GET",
      headers: { host: url.host, "user-agent": "dockhand" },
      // TLS still checks the certificate against the URL's name.
      servername: url.protocol === "https:" && !url.hostname.startsWith("[") ? url.hostname : undefined,
      agent: false,
      signal,
    });
    req.once("response", resolve);
    req.once("error", reject);
    req.end();
  });
}

/**
 * GETs `raw` over http(s), following up to `maxRedirects` redirects. Before each connection
 * (the first and after every redirect) the URL's host goes through the policy, and the
 * connection goes to the address it checked. A refused redirect is PermissionDenied.
 */
export async function policedGet(raw: string, options: PolicedGetOptions): Promise<PolicedResponse> {
  const field = options.field ?? "url";
  const maxRedirects = options.maxRedirects ?? 5;
  let url = new URL(raw);
  for (let hop = 0; ; hop++) {
    const address = await options.policy.addressFor(url, field);
    const res = await getOnce(url, address, options.signal);
    const location = res.headers.location;
    if (!redirects.has(res.statusCode ?? 0) || location === undefined) {
      const length = Number(res.headers["content-length"] ?? NaN);
      return {
        url: url.href,
        status: res.statusCode ?? 0,
        statusText: res.statusMessage ?? "",
        contentLength: Number.isFinite(length) ? length : undefined,
        body: res,
      };
    }
    res.destroy();
    if (hop >= maxRedirects) {
      throw new DockhandError(
        "FailedPrecondition",
        `${field}: more than ${maxRedirects} redirects, the last to ${location.slice(0, 120)}`,
        { details: { field } },
      );
    }
    let next: URL;
    try {
      next = new URL(location, url);
    } catch {
      throw new DockhandError(
        "FailedPrecondition",
        `${field}: ${url.href} redirects to "${location.slice(0, 120)}", which is not a URL`,
        { details: { field } },
      );
    }
    // A redirect to another scheme (file:, ftp:) or with credentials is refused like a bad URL,
    // but as the server's doing: FailedPrecondition, never a retryable code.
    try {
      url = new URL(checkUrl(next.href, field));
    } catch (err) {
      throw new DockhandError(
        "FailedPrecondition",
        `${field}: ${url.href} redirects to a URL dockhand does not follow: ${(err as Error).message}`,
        {
          cause: err,
          details: { field },
        },
      );
    }
  }
}
