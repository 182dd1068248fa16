import { trace } from "@opentelemetry/api";
import { randomUUID } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { codeToHttpStatus } from "@connectrpc/connect/protocol-connect";
import type { Logger } from "pino";
import type { AccessControl } from "../transport/auth/access-control.js";
import { certSubjectOf } from "../transport/auth/peer-identity.js";
import { isAudited, refusalCode, writeAudit } from "../transport/auth/audit.js";
import { toConnectError } from "../transport/error-codes.js";
import type { HttpRequest, HttpResponse } from "../transport/http-route.js";
import type { Metrics } from "../transport/metrics.js";
import { runInRequest } from "../transport/request-context.js";

/** What a compatibility call's handler gets: its cancellation and identity. */
export interface RouteCall {
  procedure: string;
  requestId: string;
  /** Aborted when the client goes away before the answer. */
  signal: AbortSignal;
}

export interface RouteCallsOptions {
  /** Who may call what: the same check, and the same least-role table, as the RPCs. */
  access: AccessControl;
  /** One `"msg":"rpc"` line per call, and an audit line per call above viewer, as the RPCs have. Default: none. */
  logger?: Logger;
  /** Counts and times calls in `dockhand_rpc_*`, by procedure and code. Default: none. */
  metrics?: Pick<Metrics, "recordRpc">;
}

/** How an API answers a refused or failed call in its own wire shape. */
export interface Refusal {
  status: number;
  code: Code;
  message: string;
}

/**
 * Runs a call of a seed's HTTP API the way an RPC is run: the access check of its procedure,
 * the request id in context for the engine's log lines, one log line and the metrics with the
 * final code. `handle` answers the request and resolves with the code it answered with.
 */
export type RunCall = (
  req: HttpRequest,
  res: HttpResponse,
  procedure: string,
  refuse: (res: HttpResponse, refusal: Refusal) => void,
  handle: (call: RouteCall) => Promise<Code | undefined>,
) => void;

/**
 * Names the call's span, when tracing made one, after the procedure: a mistify call's method is
 * in its body, so the route's span learns it only here.
 */
function nameSpan(procedure: string): void {
  const span = trace.getActiveSpan();
  if (span === undefined) return;
  const method = procedure.slice(procedure.indexOf("/") + 1);
  span.setAttribute("dockhand.procedure", procedure);
  if (procedure.startsWith("mistify/"))
    span.updateName(method).setAttribute("rpc.method", method.replace(/^MDocker\./, ""));
}

export function createRouteCalls(options: RouteCallsOptions): RunCall {
  return (req, res, procedure, refuse, handle) => {
    nameSpan(procedure);
    const header = req.headers["x-request-id"];
    const requestId = (Array.isArray(header) ? header[0] : header) || randomUUID();
    const started = performance.now();
    const abort = new AbortController();
    res.once("close", () => abort.abort());
    const decision = options.access.check(procedure, {
      authorization: req.headers.authorization,
      certSubject: certSubjectOf(req),
    });
    const audited = isAudited(procedure);
    const done = (code: Code | undefined, err?: unknown) => {
      const name = code === undefined ? "OK" : (Code[code] ?? "Unknown");
      if (audited && options.logger)
        writeAudit(options.logger, procedure, decision.allowed ? decision.caller : undefined, name);
      options.metrics?.recordRpc(procedure, name, (performance.now() - started) / 1000);
      const fields = { code: name, durationMs: Math.round((performance.now() - started) * 10) / 10 };
      const log = options.logger?.child({ requestId, procedure });
      if (err !== undefined) log?.error({ ...fields, err }, "rpc");
      else log?.info(fields, "rpc");
    };
    if (!decision.allowed) {
      const code = refusalCode(decision);
      refuse(res, { status: codeToHttpStatus(code), code, message: decision.message });
      done(code);
      return;
    }
    runInRequest({ requestId }, () => handle({ procedure, requestId, signal: abort.signal })).then(
      (code) => done(code),
      (err: unknown) => {
        // A handler answers its own errors; one that escapes is still answered, never an empty 500.
        const connectError = toConnectError(err);
        if (!res.headersSent) refuse(res, { status: 500, code: connectError.code, message: connectError.rawMessage });
        else res.end();
        done(connectError.code, err);
      },
    );
  };
}
