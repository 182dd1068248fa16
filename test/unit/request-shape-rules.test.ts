import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { boundMessage, maxMessageLength, quote } from "../../src/model/quote.js";
import { checkRequestShape } from "../../src/rpc/request-shape-rules.js";
import { StopContainerRequestSchema } from "../../gen/dockhand/v1/agent_containers_pb.js";
import { UpdateServiceRequestSchema } from "../../gen/dockhand/v1/registry_pb.js";
import { UnhealthyAction, UpdateOrder } from "../../gen/dockhand/v1/service_pb.js";

describe("checkRequestShape", () => {
  const service = { name: "web", image: "busybox:1" };

  it("accepts defined enum values and normalized durations", () => {
    const req = create(UpdateServiceRequestSchema, {
      service: {
        ...service,
        unhealthyAction: UnhealthyAction.IGNORE,
        stopGracePeriod: { seconds: 5n, nanos: 1 },
        updateConfig: { order: UpdateOrder.START_FIRST },
      },
    });
    expect(() => checkRequestShape(UpdateServiceRequestSchema, req)).not.toThrow();
    const negative = create(StopContainerRequestSchema, { id: "x", gracePeriod: { seconds: -1n, nanos: -5 } });
    expect(() => checkRequestShape(StopContainerRequestSchema, negative)).not.toThrow();
  });

  it.each([
    [
      { ...service, unhealthyAction: 99 as UnhealthyAction },
      /^service\.unhealthy_action: 99 is not a value of UnhealthyAction \(one of /,
    ],
    [
      { ...service, updateConfig: { order: -1 as UpdateOrder } },
      /^service\.update_config\.order: -1 is not a value of UpdateOrder/,
    ],
    [
      { ...service, ports: [{ containerPort: 80 }, { containerPort: 81, protocol: 7 }] },
      /^service\.ports\[1\]\.protocol: 7/,
    ],
    [
      { ...service, stopGracePeriod: { seconds: 1n, nanos: -1 } },
      /^service\.stop_grace_period: is not a normalized duration/,
    ],
    [
      { ...service, updateConfig: { delay: { seconds: 0n, nanos: 1_000_000_000 } } },
      /^service\.update_config\.delay: is not a valid duration/,
    ],
    [
      { ...service, updateConfig: { monitor: { seconds: 315_576_000_001n, nanos: 0 } } },
      /^service\.update_config\.monitor: is not a valid duration/,
    ],
  ])("refuses %#, naming the field", (serviceInit, message) => {
    const req = create(UpdateServiceRequestSchema, { service: serviceInit });
    expect(() => checkRequestShape(UpdateServiceRequestSchema, req)).toThrow(message);
  });
});

describe("quote and boundMessage", () => {
  it("quote repeats a short value whole and cuts a long one, saying how long it was", () => {
    expect(quote("web")).toBe('"web"');
    const long = quote("x".repeat(100_000));
    expect(long).toBe(`"${"x".repeat(64)}…" (100000 characters)`);
  });

  it("never splits a surrogate pair", () => {
    const text = "a".repeat(63) + "😀".repeat(10);
    expect(quote(text)).toBe(`"${"a".repeat(63)}…" (${text.length} characters)`);
  });

  it("boundMessage cuts only messages over the limit", () => {
    expect(boundMessage("short")).toBe("short");
    const cut = boundMessage("y".repeat(10_000));
    expect(cut.length).toBeLessThan(maxMessageLength + 40);
    expect(cut).toContain(`(${10_000 - maxMessageLength} more characters)`);
  });
});
