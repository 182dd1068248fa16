/**
 * Every answer the soak's clients got, and which of them were not allowed:
 * - a good request must succeed, except with UNAVAILABLE (or DEADLINE_EXCEEDED, a call that
 *   waited on the engine) while the engine was down, NOT_FOUND for StreamLogs of a
 *   container that a scale-down, a kill or a rollout removed between the status that named it
 *   and the call (or FAILED_PRECONDITION, the engine's 409 for one it is removing), or FAILED_PRECONDITION for a Scale with wait during which a fault killed one
 *   of its containers (exit code 137: the answer names it);
 * - a bad request may get any refusal, but never INTERNAL, UNKNOWN or a malformed answer.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { performance } from "node:perf_hooks";

export interface Outage {
  /** performance.now() when the engine was stopped and when it answered again. */
  from: number;
  to: number;
}

interface Answer {
  action: string;
  protocol: string;
  code: string;
  at: number;
  message: string;
}

export interface OutcomeLog {
  ok(action: string, protocol: string): void;
  failed(action: string, protocol: string, err: unknown): void;
  /** A bad request's answer; `problem` when it is one no bad request may get. */
  bad(procedure: string, protocol: string, answer: string, problem: string | undefined): void;
  /** Counts by "action protocol code". */
  counts(): Record<string, number>;
  /** The answers not allowed, given the engine's outage (extended by `graceMs` after it). */
  unexpected(outage: Outage | undefined, graceMs: number): Answer[];
  /** Failures that were allowed only because they fell in the outage window. */
  duringOutage(outage: Outage | undefined, graceMs: number): Answer[];
}

const outageCodes = new Set(["Unavailable", "DeadlineExceeded"]);

export function createOutcomeLog(): OutcomeLog {
  const counts: Record<string, number> = {};
  const failures: Answer[] = [];
  const count = (key: string) => (counts[key] = (counts[key] ?? 0) + 1);
  const inOutage = (a: Answer, outage: Outage | undefined, graceMs: number) =>
    outage !== undefined && a.at >= outage.from && a.at <= outage.to + graceMs;
  const allowed = (a: Answer, outage: Outage | undefined, graceMs: number) => {
    // A bad request is logged as a failure only when its answer is one no request may get.
    if (a.action.startsWith("bad ")) return false;
    if (outageCodes.has(a.code) && inOutage(a, outage, graceMs)) return true;
    if (a.action === "Scale" && a.code === "FailedPrecondition" && a.message.includes("exited with code 137"))
      return true;
    if (
      a.action === "StreamLogs" &&
      a.code === "FailedPrecondition" &&
      a.message.includes("dead or marked for removal")
    )
      return true;
    return a.action === "StreamLogs" && a.code === "NotFound";
  };
  return {
    ok: (action, protocol) => count(`${action} ${protocol} ok`),
    failed(action, protocol, err) {
      const error = ConnectError.from(err);
      const code = Code[error.code];
      count(`${action} ${protocol} ${code}`);
      failures.push({ action, protocol, code, at: performance.now(), message: error.rawMessage.slice(0, 300) || code });
    },
    bad(procedure, protocol, answer, problem) {
      count(`bad ${protocol} ${answer}`);
      if (problem)
        failures.push({ action: `bad ${procedure}`, protocol, code: answer, at: performance.now(), message: problem });
    },
    counts: () => counts,
    unexpected: (outage, graceMs) => failures.filter((a) => !allowed(a, outage, graceMs)),
    duringOutage: (outage, graceMs) =>
      failures.filter((a) => !a.action.startsWith("bad ") && outageCodes.has(a.code) && inOutage(a, outage, graceMs)),
  };
}
