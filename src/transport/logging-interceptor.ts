import { randomUUID } from "node:crypto";
import type { Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { iterateInRequest, runInRequest } from "./request-context.js";
import { writeRpcLine } from "./rpc-log.js";
import { withStreamOutcome } from "./stream-outcome.js";

/**
 * One structured line per RPC: procedure, code, duration and a request id (taken from the
 * `x-request-id` header, or made up). A stream is logged when it ends.
 */
export function createLoggingInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    const requestId = req.header.get("x-request-id") ?? randomUUID();
    const started = performance.now();
    const log = logger.child({ requestId, procedure: req.url.replace(/^.*?\/\/[^/]*/, "") });
    const done = (err?: unknown) => writeRpcLine(log, performance.now() - started, err);
    const context = { requestId };
    try {
      // Code below (the engine wrapper's debug lines) reads the request id from here.
      const res = await runInRequest(context, () => next(req));
      if (!res.stream) {
        done();
        return res;
      }
      return withStreamOutcome(req.signal, { ...res, message: iterateInRequest(context, res.message) }, done);
    } catch (err) {
      done(err);
      throw err;
    }
  };
}
