import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { boundMessage } from "../errors/quote.js";

/** connect-es's words for a request body that is not valid protobuf (createBinarySerialization). */
const undecodable = "parse binary: ";
/** ...and for a message flagged compressed on a call that named no compression (envelope.js). */
const unexpectedlyCompressed = "received compressed envelope, but do not know how to decompress";

/**
 * Corrects, before it is written, the error of a call that failed inside connect-es itself:
 * - a request that does not decode as protobuf (bad bytes on gRPC, JSON labelled
 *   `application/proto`), or a message flagged compressed on a call that named no compression,
 *   is answered `internal` by connect-es, but the client sent it, so it is INVALID_ARGUMENT;
 * - such errors quote the input (an unknown JSON key, a wrong value), so their message is bounded.
 * No interceptor can do it: a unary request is decoded before interceptors run. Every protocol
 * handler aborts the call's context with the error just before writing it, so this gate, which
 * every call passes before its body is read, corrects it there.
 */
export function clientErrorGate(context: HandlerContext): void {
  const { signal } = context;
  signal.addEventListener(
    "abort",
    () => {
      const err: unknown = signal.reason;
      if (err instanceof ConnectError) correct(err);
    },
    { once: true },
  );
}

function correct(err: ConnectError): void {
  const writable = err as { code: Code; rawMessage: string; message: string };
  let code = err.code;
  let rawMessage = err.rawMessage;
  if (code === Code.Internal && rawMessage.startsWith(undecodable)) {
    code = Code.InvalidArgument;
    rawMessage = `request: not a valid protobuf message of this method (${rawMessage.slice(undecodable.length)})`;
  } else if (code === Code.Internal && rawMessage === unexpectedlyCompressed) {
    code = Code.InvalidArgument;
    rawMessage = "request: a message is flagged compressed, but the call names no compression (grpc-encoding or connect-content-encoding)";
  }
  rawMessage = boundMessage(rawMessage);
  if (code === err.code && rawMessage === err.rawMessage) return;
  writable.code = code;
  writable.rawMessage = rawMessage;
  writable.message = new ConnectError(rawMessage, code).message;
}
