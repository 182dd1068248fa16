import { randomUUID } from "node:crypto";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { iterateInRequest, runInRequest } from "./request-context.js";
import { writeRpcLine } from "./rpc-log.js";

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
      const messages = iterateInRequest(context, res.message);
      return {
        ...res,
        message: (async function* () {
          let ended = false;
          try {
            yield* messages;
            ended = !req.signal.aborted;
            if (ended) done();
          } catch (err) {
            ended = true;
            // A client that went away makes the last write fail: that is its cancel, not our error.
            done(req.signal.aborted ? new ConnectError("the client cancelled the stream", Code.Canceled) : err);
            throw err;
          } finally {
            // A stream the client abandons is neither finished nor failed, and is logged too.
            if (!ended) done(new ConnectError("the client cancelled the stream", Code.Canceled));
          }
        })(),
      };
    } catch (err) {
      done(err);
      throw err;
    }
  };
}
