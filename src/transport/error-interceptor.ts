import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { DockhandError } from "../model/dockhand-error.js";
import { correctClientCaused } from "./client-error-gate.js";
import { toConnectError } from "./error-codes.js";

/**
 * What a failed call ends with, as the logs and metrics record it. A call whose client went
 * away (or whose deadline passed) fails in whatever its last write hit, "Premature close" on
 * HTTP/2: that is the cancel (or the deadline), not an `internal` error. A request a stream
 * could not decode is the client's fault, as client-error-gate tells the client.
 */
function mapped(err: unknown, signal: AbortSignal): ConnectError {
  if (signal.aborted) {
    const reason = ConnectError.from(signal.reason, Code.Canceled);
    // The call's own deadline passed and aborted the engine call under way: DEADLINE_EXCEEDED,
    // not the Cancelled that the engine call ends with.
    if (reason.code === Code.DeadlineExceeded && (!(err instanceof DockhandError) || err.kind === "Cancelled"))
      return reason;
    if (!(err instanceof DockhandError)) return reason;
  }
  const connectError = toConnectError(err);
  correctClientCaused(connectError);
  return connectError;
}

async function* mapStreamErrors<T>(messages: AsyncIterable<T>, signal: AbortSignal): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (err) {
    throw mapped(err, signal);
  }
}

/** Maps every error a handler throws, also mid-stream, through `toConnectError`. */
export const errorInterceptor: Interceptor = (next) => async (req) => {
  try {
    const res = await next(req);
    return res.stream ? { ...res, message: mapStreamErrors(res.message, req.signal) } : res;
  } catch (err) {
    throw mapped(err, req.signal);
  }
};
