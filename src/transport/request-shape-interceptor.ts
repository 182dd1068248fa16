import type { Interceptor } from "@connectrpc/connect";
import type { DescMessage, Message } from "@bufbuild/protobuf";
import { checkRequestShape } from "../rpc/request-shape-rules.js";

async function* checked(schema: DescMessage, messages: AsyncIterable<Message>): AsyncIterable<Message> {
  for await (const message of messages) {
    checkRequestShape(schema, message);
    yield message;
  }
}

/**
 * Refuses, on every RPC, a request with an enum number the schema does not define or a
 * Duration or Timestamp out of range, before a handler sees it (see `checkRequestShape`).
 */
export const requestShapeInterceptor: Interceptor = (next) => async (req) => {
  if (!req.stream) {
    checkRequestShape(req.method.input, req.message);
    return next(req);
  }
  return next({ ...req, message: checked(req.method.input, req.message) });
};
