import { Code, ConnectError } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { DockhandError, type ErrorKind } from "../errors/dockhand-error.js";
import { ScaleProgressSchema } from "../../gen/dockhand/v1/scaler_pb.js";

const codeByKind: Record<ErrorKind, Code> = {
  InvalidArgument: Code.InvalidArgument,
  NotFound: Code.NotFound,
  AlreadyExists: Code.AlreadyExists,
  Conflict: Code.FailedPrecondition,
  NotModified: Code.FailedPrecondition,
  FailedPrecondition: Code.FailedPrecondition,
  Aborted: Code.Aborted,
  PermissionDenied: Code.PermissionDenied,
  ResourceExhausted: Code.ResourceExhausted,
  Unavailable: Code.Unavailable,
  Timeout: Code.DeadlineExceeded,
  Cancelled: Code.Canceled,
  Internal: Code.Internal,
};

interface Progress {
  name: string;
  desired: number;
  running: number;
}

/**
 * The one place where domain and engine errors become Connect errors. The original error is
 * kept as `cause`. Anything unknown becomes `internal`, which for a client mistake is a bug.
 */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof DockhandError) {
    const progress = err.details.progress as Progress | undefined;
    const details = progress ? [{ desc: ScaleProgressSchema, value: create(ScaleProgressSchema, progress) }] : [];
    return new ConnectError(err.message, codeByKind[err.kind], undefined, details, err);
  }
  return ConnectError.from(err, Code.Internal);
}
