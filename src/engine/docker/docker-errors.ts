import { DockhandError, type ErrorKind } from "../../model/dockhand-error.js";

const kindByStatus: Record<number, ErrorKind> = {
  304: "NotModified",
  400: "InvalidArgument",
  401: "PermissionDenied",
  403: "PermissionDenied",
  404: "NotFound",
  409: "Conflict",
  500: "Internal",
  503: "Unavailable",
};

const unreachableCodes = new Set([
  "ECONNREFUSED",
  "ENOENT",
  "ECONNRESET",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "EAI_AGAIN",
  "ENOTFOUND",
  "EACCES",
]);

interface DockerodeFailure {
  statusCode?: number;
  code?: string;
  name?: string;
  json?: { message?: string } | null;
  message?: string;
}

/**
 * Turns whatever dockerode/docker-modem threw into a DockhandError. The kind comes from the
 * HTTP status or the socket error code, never from message text. `operation` names what was
 * attempted, e.g. `start container 3f2a…`.
 */
export function toEngineError(err: unknown, operation: string, options: EngineCallOptions = {}): DockhandError {
  if (err instanceof DockhandError) return err;
  const failure = (err ?? {}) as DockerodeFailure;
  const engineMessage = failure.json?.message ?? failure.message ?? String(err);
  if (failure.name === "AbortError" || failure.code === "ABORT_ERR") {
    return new DockhandError("Cancelled", `${operation}: cancelled`, { cause: err });
  }
  if (typeof failure.statusCode === "number") {
    const kind =
      failure.statusCode === 500 && options.refusal
        ? options.refusal
        : (kindByStatus[failure.statusCode] ?? (failure.statusCode >= 500 ? "Internal" : "FailedPrecondition"));
    return new DockhandError(kind, `${operation}: ${engineMessage.trim()}`, {
      cause: err,
      details: { statusCode: failure.statusCode },
    });
  }
  if (failure.code !== undefined && unreachableCodes.has(failure.code)) {
    return new DockhandError(
      "Unavailable",
      `${operation}: Docker engine unreachable (${failure.code}); is dockerd running?`,
      { cause: err },
    );
  }
  return new DockhandError("Internal", `${operation}: ${engineMessage}`, { cause: err });
}

export interface EngineCallOptions {
  /**
   * The kind of a 500 answer, when the call is one the engine refuses with 500 for what the
   * container's configuration or the host causes, not for a fault of its own: a start whose
   * mount, port or command the runtime rejects. Default: Internal.
   */
  refusal?: ErrorKind;
}

/** Runs one engine call, turning whatever it throws into a DockhandError. */
export async function engineCall<T>(operation: string, run: () => Promise<T>, options?: EngineCallOptions): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toEngineError(err, operation, options);
  }
}
