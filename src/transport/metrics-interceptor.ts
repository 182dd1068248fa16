import type { Interceptor } from "@connectrpc/connect";
import { codeName } from "./rpc-log.js";
import { withStreamOutcome } from "./stream-outcome.js";
import type { Metrics } from "./metrics.js";

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
      record(codeName(err));
      throw err;
    }
    if (!res.stream) {
      record("OK");
      return res;
    }
    metrics.streamOpened(procedure, 1);
    return withStreamOutcome(req.signal, res, (err) => {
      metrics.streamOpened(procedure, -1);
      record(codeName(err));
    });
  };
}
