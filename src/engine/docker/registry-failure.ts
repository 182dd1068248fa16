import { DockhandError, type ErrorKind } from "../../model/dockhand-error.js";
import { EngineStreamError } from "./docker-progress.js";
import { toEngineError } from "./docker-errors.js";

const kindByRegistryStatus: Record<number, ErrorKind> = {
  400: "InvalidArgument",
  401: "PermissionDenied",
  403: "PermissionDenied",
  404: "NotFound",
  408: "Timeout",
  429: "ResourceExhausted",
  503: "Unavailable",
  504: "Timeout",
};

/**
 * Why text is matched here, unlike everywhere else in the engine module: when a pull or push
 * fails at the registry, Docker 20.10 flattens the registry's answer (or the Go network
 * error) into a string. A pull reports it with HTTP 500 (only "manifest unknown" gets a 404),
 * and a push puts it in an `{"error": ...}` stream message without `errorDetail.code`. The
 * patterns below are the distribution client's and Go's fixed wording, checked in order.
 */
const patterns: Array<[RegExp, ErrorKind]> = [
  [
    /connection refused|no such host|i\/o timeout|network is unreachable|connection reset|TLS handshake|server gave HTTP response to HTTPS client|EOF$/i,
    "Unavailable",
  ],
  [
    /unauthorized|authentication required|no basic auth credentials|denied|incorrect username or password/i,
    "PermissionDenied",
  ],
  [/manifest unknown|not found|name unknown|does not exist/i, "NotFound"],
  [/toomanyrequests|rate limit/i, "ResourceExhausted"],
  [/timeout|deadline exceeded/i, "Timeout"],
];

function kindOf(message: string, code: number | undefined): ErrorKind {
  if (code !== undefined && kindByRegistryStatus[code]) return kindByRegistryStatus[code];
  for (const [pattern, kind] of patterns) if (pattern.test(message)) return kind;
  // The registry refused for a reason not listed: not dockhand's fault, not the client's input.
  return "FailedPrecondition";
}

/**
 * Turns a failed pull or push into a DockhandError naming the image. Statuses the daemon
 * decided itself (404, 401, 409...) keep the shared mapping; a 500 and in-stream errors,
 * which carry the registry's verdict as text, are classified by `kindOf`.
 */
export function toTransferError(err: unknown, operation: string): DockhandError {
  if (err instanceof EngineStreamError) {
    return new DockhandError(kindOf(err.message, err.code), `${operation}: ${err.message}`, { cause: err });
  }
  const engineError = toEngineError(err, operation);
  const status = engineError.details.statusCode;
  if (status === undefined) return engineError;
  // docker-modem words a streaming call's failure "(HTTP code 404) unexpected - <engine text>".
  const message = engineError.message
    .slice(operation.length + 2)
    .replace(/^\(HTTP code \d+\) [^-]*- /, "")
    .trim();
  const kind = status === 500 ? kindOf(message, undefined) : engineError.kind;
  return new DockhandError(kind, `${operation}: ${message}`, { cause: err, details: engineError.details });
}
