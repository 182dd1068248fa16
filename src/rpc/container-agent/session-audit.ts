import type { HandlerContext } from "@connectrpc/connect";
import type { Logger } from "pino";
import { isDockhandError } from "../../model/dockhand-error.js";
import { callerKey } from "../session/caller-key.js";

/** What an interactive session's audit lines say of it: never what it carries. */
export interface SessionFacts {
  container: string;
  /** argv of an exec; absent for an attach. */
  command?: string[];
  tty: boolean;
  stdin: boolean;
}

export interface SessionAudit {
  /** The session started on the engine; `tty` as it turned out (an attach learns it then). */
  opened(tty: boolean): void;
  /** One line when the session ends, however it ends. */
  closed(err: unknown, exitCode: number | undefined): void;
}

/**
 * One audit line when a session opens and one when it closes: caller, container, argv, tty,
 * duration and exit code, as Nomad's alloc-exec and Kubernetes' exec audit them.
 */
export function createSessionAudit(
  logger: Pick<Logger, "info">,
  ctx: HandlerContext,
  facts: SessionFacts,
): SessionAudit {
  const caller = ctx.values.get(callerKey);
  const procedure = `/${ctx.service.typeName}/${ctx.method.name}`;
  const started = performance.now();
  let tty = facts.tty;
  const base = () => ({
    audit: true,
    caller: caller?.name ?? "unknown",
    role: caller?.role ?? "none",
    procedure,
    container: facts.container,
    ...(facts.command ? { command: facts.command } : {}),
    tty,
    stdin: facts.stdin,
  });
  return {
    opened(actualTty) {
      tty = actualTty;
      logger.info({ ...base(), session: "open" }, "audit");
    },
    closed(err, exitCode) {
      const outcome =
        err === undefined ? "ok" : isDockhandError(err) ? err.kind : ctx.signal.aborted ? "Cancelled" : "error";
      const durationMs = Math.round(performance.now() - started);
      logger.info({ ...base(), session: "close", durationMs, exitCode, outcome }, "audit");
    },
  };
}
