/** The one way tests get the error a call or a stream ended with. */
import { ConnectError } from "@connectrpc/connect";

/**
 * The error a call or a stream ended with, as a ConnectError. Fails the test when it
 * succeeded: a unary call by resolving, a stream by ending cleanly (it is read to its end).
 */
export async function failureOf(call: Promise<unknown> | AsyncIterable<unknown>): Promise<ConnectError> {
  try {
    if (Symbol.asyncIterator in Object(call)) {
      for await (const _ of call as AsyncIterable<unknown>);
    } else {
      await call;
    }
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("expected the call to fail, and it succeeded");
}
