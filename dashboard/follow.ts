import { Code, ConnectError } from "@connectrpc/connect";
import { connectionLost, describe, report } from "./errors.js";

/** Codes after which opening the stream again cannot help. */
const final = new Set([
  Code.Unauthenticated,
  Code.PermissionDenied,
  Code.NotFound,
  Code.InvalidArgument,
  Code.FailedPrecondition,
  Code.Unimplemented,
]);

export interface FollowOptions {
  /** The RPC path, for PERMISSION_DENIED reports. */
  procedure: string;
  /** Told of a final error (after it is reported). */
  onEnd?: (err: ConnectError) => void;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Keeps a server stream open until stopped: when the connection is lost (or the server ends
 * the stream) it opens it again after a growing delay with jitter, and `fresh` is true on the
 * first message of each opening, so the caller can drop what the earlier one gave. Returns stop.
 */
export function follow<T>(
  open: (signal: AbortSignal) => AsyncIterable<T>,
  onMessage: (message: T, fresh: boolean) => void,
  options: FollowOptions,
): () => void {
  const stop = new AbortController();
  void (async () => {
    let failures = 0;
    while (!stop.signal.aborted) {
      let fresh = true;
      try {
        for await (const message of open(stop.signal)) {
          if (fresh) connectionLost.set(undefined);
          failures = 0;
          onMessage(message, fresh);
          fresh = false;
        }
      } catch (err) {
        if (stop.signal.aborted) return;
        const connectError = ConnectError.from(err);
        if (final.has(connectError.code)) {
          report(connectError, options.procedure);
          options.onEnd?.(connectError);
          return;
        }
        connectionLost.set({ id: 0, ...describe(connectError) });
      }
      failures++;
      const delay = Math.min(8000, 250 * 2 ** Math.min(failures, 6));
      await pause(delay * (0.5 + Math.random() / 2), stop.signal);
    }
  })();
  return () => stop.abort();
}

/** Runs a call, reporting its failure where the page shows errors; resolves undefined then. */
export async function attempt<T>(procedure: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (err) {
    report(err, procedure);
    return undefined;
  }
}
