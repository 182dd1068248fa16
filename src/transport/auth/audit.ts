import { Code } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { AccessDecision, Caller } from "./access-control.js";
import { roleFor } from "./procedure-roles.js";

/** Calls above viewer can change something: each is audited, whichever API it came through. */
export function isAudited(procedure: string): boolean {
  const need = roleFor(procedure);
  return need !== undefined && need !== "viewer";
}

/** The one audit line of a call: who, with what role, called what, and how it ended. Never a token. */
export function writeAudit(
  logger: Pick<Logger, "info">,
  procedure: string,
  caller: Caller | undefined,
  outcome: string,
): void {
  logger.info(
    { audit: true, caller: caller?.name ?? "unknown", role: caller?.role ?? "none", procedure, outcome },
    "audit",
  );
}

/** The code a refused call answers with: UNAUTHENTICATED or PERMISSION_DENIED. */
export function refusalCode(
  decision: Extract<AccessDecision, { allowed: false }>,
): Code.Unauthenticated | Code.PermissionDenied {
  return decision.reason === "unauthenticated" ? Code.Unauthenticated : Code.PermissionDenied;
}
