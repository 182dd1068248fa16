import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Metrics } from "./metrics.js";

function codeOf(err: unknown): string {
  return Code[ConnectError.from(err).code] ?? "Unknown";
}

/**
 * Counts and times every RPC by procedure and final code, and keeps the open-streams gauge.
 * A stream the client abandons counts as Canceled, even when the handler then ends it quietly.
 */
export function createMetricsInterceptor(metrics: Metrics): Interceptor {
  return (next) => async (req) => {
    const procedure = `${req.service.typeName}/${req.method.name}`;
    const started = performance.now();
    const record = (code: string) => metrics.recordRpc(procedure, code, (performance.now() - started) / 1000);
    let res;
    try {
      res = await next(req);
    } catch (err) {
      record(codeOf(err));
      throw err;
    }
    if (!res.stream) {
      record("OK");
      return res;
    }
    const messages = res.message;
    let open = true;
    const closed = (code: string) => {
      if (!open) return;
      open = false;
      metrics.streamOpened(procedure, -1);
      record(code);
    };
    metrics.streamOpened(procedure, 1);
    // A stream closed before its first message never runs the generator below, nor its finally.
    req.signal.addEventListener("abort", () => closed("Canceled"), { once: true });
    return {
      ...res,
      message: (async function* () {
        let code = "Canceled";
        try {
          yield* messages;
          code = req.signal.aborted ? "Canceled" : "OK";
        } catch (err) {
          // A client that went away makes the last write fail: that is its cancel, not our error.
          code = req.signal.aborted ? "Canceled" : codeOf(err);
          throw err;
        } finally {
          closed(code);
        }
      })(),
    };
  };
}
