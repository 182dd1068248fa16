import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { AccessControl } from "./access-control.js";
import { isAudited, refusalCode, writeAudit } from "./audit.js";
import { accessDecisionKey, certSubjectKey } from "./auth-interceptor.js";

export interface AccessGateOptions {
  access: AccessControl;
  /** Where refusals of calls that could change something are audited. */
  audit: Logger;
  /** Told of every refusal, for the RPC log line and metrics the interceptors would have written. */
  onRefused?: (procedure: string, err: ConnectError, requestId: string | null) => void;
}

/**
 * Checks the caller's credentials, and its role against the procedure's, before the request's
 * body is read: connect-es runs this gate first, so an unauthenticated caller costs a header
 * parse, never an upload or a decode. A refused call never reaches the interceptors or the
 * handler; an admitted one carries the decision, which the auth interceptor uses.
 */
export function createAccessGate(options: AccessGateOptions): (context: HandlerContext) => void {
  const { access } = options;
  return (context) => {
    const procedure = `/${context.service.typeName}/${context.method.name}`;
    const decision = access.check(procedure, {
      authorization: context.requestHeader.get("authorization"),
      certSubject: context.values.get(certSubjectKey),
    });
    context.values.set(accessDecisionKey, decision);
    if (decision.allowed) return;
    const err = new ConnectError(decision.message, refusalCode(decision));
    if (isAudited(procedure)) writeAudit(options.audit, procedure, undefined, Code[err.code]);
    options.onRefused?.(procedure, err, context.requestHeader.get("x-request-id"));
    throw err;
  };
}
