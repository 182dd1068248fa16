import { Code, ConnectError } from "@connectrpc/connect";
import { create } from "@bufbuild/protobuf";
import { DockhandError, type ErrorKind } from "../model/dockhand-error.js";
import { boundMessage } from "../model/quote.js";
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
 * Messages are bounded, as they may quote the client's input.
 */
export function toConnectError(err: unknown): ConnectError {
  if (err instanceof DockhandError) {
    const progress = err.details.progress as Progress | undefined;
    const details = progress ? [{ desc: ScaleProgressSchema, value: create(ScaleProgressSchema, progress) }] : [];
    return new ConnectError(boundMessage(err.message), codeByKind[err.kind], undefined, details, err);
  }
  const connectError = ConnectError.from(err, Code.Internal);
  const message = boundMessage(connectError.rawMessage);
  if (message === connectError.rawMessage) return connectError;
  const details = connectError.details.filter((d) => "desc" in d);
  return new ConnectError(message, connectError.code, connectError.metadata, details, connectError.cause ?? err);
}
