import { describe, expect, it } from "vitest";
import { DockhandError } from "../../src/model/dockhand-error.js";
import { updatePolicyFromProto } from "../../src/rpc/service-registry/service-mapping.js";
import { UpdateFailureAction, UpdateOrder } from "../../gen/dockhand/v1/service_pb.js";

const base = { parallelism: 1, order: UpdateOrder.STOP_FIRST, failureAction: UpdateFailureAction.PAUSE };

describe("update_config mapping", () => {
  it.each(["delay", "monitor", "minHealthyTime", "healthyDeadline"] as const)(
    "refuses a %s of a few negative nanoseconds, naming the field",
    (field) => {
      const config = { ...base, [field]: { seconds: 0n, nanos: -5 } };
      let failure: unknown;
      try {
        updatePolicyFromProto(config as never);
      } catch (err) {
        failure = err;
      }
      expect(failure).toBeInstanceOf(DockhandError);
      expect((failure as DockhandError).kind).toBe("InvalidArgument");
      expect((failure as DockhandError).message).toContain("service.update_config.");
    },
  );

  it("keeps a positive duration in milliseconds", () => {
    expect(updatePolicyFromProto({ ...base, delay: { seconds: 2n, nanos: 500_000_000 } } as never)?.delayMs).toBe(2500);
  });
});
