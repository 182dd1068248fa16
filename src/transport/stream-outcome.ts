import { Code, ConnectError, type StreamResponse } from "@connectrpc/connect";

/** The error of a stream whose client went away. */
export function clientCancelled(): ConnectError {
  return new ConnectError("the client cancelled the stream", Code.Canceled);
}

/**
 * The one place a stream's final outcome is worked out, for every interceptor that reports it
 * (the log line, the metrics, the audit line). Calls `done` exactly once: with nothing when the
 * stream ended, with its error when it failed, and with a Canceled error when the client went
 * away, whether the last write failed, the stream was abandoned, or it was closed before its
 * first message (then the stream's generator never runs at all).
 */
export function withStreamOutcome(
  signal: AbortSignal,
  res: StreamResponse,
  done: (err?: unknown) => void,
): StreamResponse {
  let ended = false;
  const end = (err?: unknown) => {
    if (ended) return;
    ended = true;
    done(err);
  };
  signal.addEventListener("abort", () => end(clientCancelled()), { once: true });
  const messages = res.message;
  return {
    ...res,
    message: (async function* () {
      try {
        yield* messages;
        end(signal.aborted ? clientCancelled() : undefined);
      } catch (err) {
        // A client that went away makes the last write fail: that is its cancel, not our error.
        end(signal.aborted ? clientCancelled() : err);
        throw err;
      } finally {
        end(clientCancelled());
      }
    })(),
  };
}
