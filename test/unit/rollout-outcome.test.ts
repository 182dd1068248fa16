import { describe, expect, it } from "vitest";
import type { Rollout, StoredService } from "../../src/model/service-definition.js";
import { rolloutOutcome } from "../../src/orchestrator/rollout-outcome.js";

const at = "2026-12-06T00:00:00.000Z";
const stored = (version: number, rollout?: Partial<Rollout>): StoredService =>
  ({
    version,
    rollout: rollout && { state: "updating", message: "", fromVersion: 1, toVersion: 2, startedAt: at, ...rollout },
  }) as StoredService;

describe("rolloutOutcome", () => {
  it("is unknown while the rollout to the version runs, and completed once it ended so", () => {
    expect(rolloutOutcome(stored(2, {}), 2)).toBeUndefined();
    expect(rolloutOutcome(stored(2, { state: "completed", endedAt: at }), 2)).toEqual({
      kind: "completed",
      message: "",
    });
  });

  it("is completed at once when the update recorded no rollout of its own (an identical definition)", () => {
    expect(rolloutOutcome(stored(2, { fromVersion: 0, toVersion: 1, state: "completed", endedAt: at }), 2)).toEqual({
      kind: "completed",
      message: "",
    });
    expect(rolloutOutcome(stored(2), 2)).toEqual({ kind: "completed", message: "" });
  });

  it("fails when the rollout paused, or once the rollback that followed it ended", () => {
    expect(rolloutOutcome(stored(2, { state: "paused", message: "x died", endedAt: at }), 2)).toEqual({
      kind: "failed",
      state: "paused",
      message: "x died",
    });
    const rollingBack = { fromVersion: 2, toVersion: 3, state: "rolling_back" as const, message: "rolling back: x" };
    expect(rolloutOutcome(stored(3, rollingBack), 2)).toBeUndefined();
    expect(
      rolloutOutcome(stored(3, { ...rollingBack, state: "rolled_back", message: "rolled back: x", endedAt: at }), 2),
    ).toEqual({ kind: "failed", state: "rolled_back", message: "rolled back: x" });
  });

  it("is superseded by any other later version, and deleted with the service", () => {
    expect(rolloutOutcome(stored(3, { fromVersion: 2, toVersion: 3 }), 2)).toEqual({
      kind: "superseded",
      byVersion: 3,
    });
    expect(rolloutOutcome(stored(4, { fromVersion: 3, toVersion: 4, state: "rolling_back" }), 2)).toEqual({
      kind: "superseded",
      byVersion: 4,
    });
    expect(rolloutOutcome(undefined, 2)).toEqual({ kind: "deleted" });
  });
});
