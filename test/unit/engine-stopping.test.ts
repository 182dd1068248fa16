import { describe, expect, it } from "vitest";
import { DockhandError } from "../../src/model/dockhand-error.js";
import { markCondition } from "../../src/orchestrator/conditions.js";
import { engineFault, mayBeEngineShutdown } from "../../src/orchestrator/local/engine-stopping.js";

/** An engine answer of `status`, as the engine module raises it, wrapped as the slot operations do. */
const wrapped = (status: number, kind: "Internal" | "FailedPrecondition") =>
  new DockhandError("FailedPrecondition", 'container "web-1" could not start', {
    cause: new DockhandError(kind, "start container: ...", { details: { statusCode: status } }),
  });

describe("the engine's own fault", () => {
  it("is a 5xx or an unreachable engine anywhere along the causes, a start's 500 that the engine module names a refusal included", () => {
    expect(engineFault(wrapped(500, "FailedPrecondition"))).toBe(true);
    expect(engineFault(wrapped(500, "Internal"))).toBe(true);
    expect(engineFault(new DockhandError("Unavailable", "engine unreachable"))).toBe(true);
    expect(mayBeEngineShutdown(undefined, 143)).toBe(true);
    expect(mayBeEngineShutdown(undefined, 137)).toBe(true);
  });

  it("is not a request's or the host's: a 4xx, a port taken, an image that cannot be pulled, an exit of the program's own", () => {
    expect(engineFault(wrapped(400, "FailedPrecondition"))).toBe(false);
    expect(engineFault(markCondition(wrapped(500, "FailedPrecondition"), "port_taken"))).toBe(false);
    expect(engineFault(markCondition(wrapped(500, "Internal"), "image_pull_failed"))).toBe(false);
    expect(mayBeEngineShutdown(undefined, 3)).toBe(false);
  });
});
