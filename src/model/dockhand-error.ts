/**
 * What went wrong, independent of the wire protocol. The service boundary maps each kind to
 * one Connect/gRPC code (see `src/transport/error-codes.ts`).
 */
export type ErrorKind =
  | "InvalidArgument"
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "NotModified"
  | "FailedPrecondition"
  | "Aborted"
  | "PermissionDenied"
  | "ResourceExhausted"
  | "Unavailable"
  | "Timeout"
  | "Cancelled"
  | "Internal";

/** The one error type thrown by the engine module and the domain layers. */
export class DockhandError extends Error {
  override readonly name = "DockhandError";
  readonly kind: ErrorKind;
  /** Structured facts a caller may need (for example how far a scale got). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(kind: ErrorKind, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, { cause: options.cause });
    this.kind = kind;
    this.details = options.details ?? {};
  }
}

export function isDockhandError(err: unknown, kind?: ErrorKind): err is DockhandError {
  return err instanceof DockhandError && (kind === undefined || err.kind === kind);
}

export function invalidArgument(field: string, problem: string): DockhandError {
  return new DockhandError("InvalidArgument", `${field}: ${problem}`, { details: { field } });
}
