import { Code, ConnectError } from "@connectrpc/connect";
import type { Logger } from "pino";

/** The name of an RPC's final code, as logs and metrics write it. */
export function codeName(err: unknown): string {
  if (err === undefined) return "OK";
  const code = err instanceof ConnectError ? err.code : Code.Internal;
  return Code[code] ?? "Unknown";
}

/**
 * The one log line an RPC ends with, whichever path served it: its code and duration (the
 * logger carries the request id and procedure). A client's mistake is logged at info with its
 * message; an internal failure at error with the whole error. `bound` adds the request's
 * fields for a caller that has no child logger.
 */
export function writeRpcLine(
  log: Logger,
  durationMs: number,
  err?: unknown,
  bound?: { requestId: string; procedure: string },
): void {
  const fields = { ...bound, code: codeName(err), durationMs: Math.round(durationMs * 10) / 10 };
  if (err === undefined) log.info(fields, "rpc");
  else if (err instanceof ConnectError && err.code !== Code.Internal && err.code !== Code.Unknown)
    log.info({ ...fields, error: err.rawMessage }, "rpc");
  else log.error({ ...fields, err }, "rpc");
}
