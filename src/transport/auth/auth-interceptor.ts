import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { AccessControl, AccessDecision, Caller } from "./access-control.js";
import { isAudited, refusalCode, writeAudit } from "./audit.js";
import { codeName } from "../rpc-log.js";
import { withStreamOutcome } from "../stream-outcome.js";
import { callerKey } from "../../rpc/session/caller-key.js";

/** The verified mTLS subject of the connection a call came on, set by the adapter's contextValues. */
export const certSubjectKey = createContextKey<string | undefined>(undefined, {
  description: "mTLS client certificate subject",
});

/** The access check's decision on a call, made by the access gate before its body was read. */
export const accessDecisionKey = createContextKey<AccessDecision | undefined>(undefined, {
  description: "access decision of the call",
});

/**
 * Refuses calls whose caller lacks the procedure's least role (UNAUTHENTICATED without valid
 * credentials, PERMISSION_DENIED naming the role), and writes one audit line for every call
 * that can change something (above viewer), with the caller's name, role, procedure and outcome.
 * Tokens are never written.
 */
export function createAuthInterceptor(access: AccessControl, audit: Logger): Interceptor {
  return (next) => async (req) => {
    const procedure = `/${req.service.typeName}/${req.method.name}`;
    // The access gate decided before the body was read; a call that did not pass it (a test's
    // own router) is checked here.
    const decision =
      req.contextValues.get(accessDecisionKey) ??
      access.check(procedure, {
        authorization: req.header.get("authorization"),
        certSubject: req.contextValues.get(certSubjectKey),
      });
    const audited = isAudited(procedure);
    const record = (caller: Caller | undefined, outcome: string) => {
      if (audited) writeAudit(audit, procedure, caller, outcome);
    };
    if (!decision.allowed) {
      const code = refusalCode(decision);
      record(undefined, Code[code]);
      throw new ConnectError(decision.message, code);
    }
    req.contextValues.set(callerKey, decision.caller);
    if (!audited) return next(req);
    try {
      const res = await next(req);
      if (!res.stream) {
        record(decision.caller, "OK");
        return res;
      }
      return withStreamOutcome(req.signal, res, (err) => record(decision.caller, codeName(err)));
    } catch (err) {
      record(decision.caller, codeName(err));
      throw err;
    }
  };
}
