import { Code, ConnectError, type UnaryRequest } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { DockhandError } from "../../src/model/dockhand-error.js";
import { errorInterceptor } from "../../src/transport/error-interceptor.js";

/** What the interceptor answers for a handler failing with `err` after the call's signal aborted for `reason`. */
async function answerFor(err: unknown, reason: unknown): Promise<ConnectError> {
  const controller = new AbortController();
  controller.abort(reason);
  const call = errorInterceptor(async () => {
    throw err;
  });
  return call({ signal: controller.signal } as UnaryRequest).then(
    () => {
      throw new Error("the call succeeded");
    },
    (e: unknown) => ConnectError.from(e),
  );
}

describe("error interceptor", () => {
  it("answers DEADLINE_EXCEEDED when the call's own deadline aborted the engine call under way", async () => {
    const deadline = new ConnectError("the operation timed out", Code.DeadlineExceeded);
    expect(await answerFor(new DockhandError("Cancelled", "list containers: cancelled"), deadline)).toMatchObject({
      code: Code.DeadlineExceeded,
    });
  });

  it("answers CANCELED when the client went away, and keeps a domain error that is not the abort's", async () => {
    const gone = new ConnectError("the client went away", Code.Canceled);
    expect(await answerFor(new DockhandError("Cancelled", "list containers: cancelled"), gone)).toMatchObject({
      code: Code.Canceled,
    });
    const deadline = new ConnectError("the operation timed out", Code.DeadlineExceeded);
    expect(await answerFor(new DockhandError("NotFound", "no such container"), deadline)).toMatchObject({
      code: Code.NotFound,
    });
  });
});
