import { describe, expect, it } from "vitest";
import { ScaleRequestSchema } from "../../gen/dockhand/v1/scaler_pb.js";
import { didYouMean } from "../../src/transport/client-error-gate.js";

describe("did you mean, for an unknown JSON key", () => {
  it("names the field an old name stands for, and a field a typo is close to", () => {
    expect(didYouMean("number", ScaleRequestSchema)).toBe("replicas");
    expect(didYouMean("replcias", ScaleRequestSchema)).toBe("replicas");
    expect(didYouMean("nmae", ScaleRequestSchema)).toBe("name");
    expect(didYouMean("colour", ScaleRequestSchema)).toBeUndefined();
    expect(didYouMean("number", undefined)).toBeUndefined();
  });
});
