import { describe, expect, it } from "vitest";
import type { AutoscalePolicy } from "../../src/model/autoscale-policy.js";
import { decide, isNewDecision, type Measurement } from "../../src/orchestrator/autoscale/target-value.js";

const policy: AutoscalePolicy = {
  minReplicas: 1,
  maxReplicas: 10,
  metric: "cpu_percent",
  target: 50,
  query: "",
  evaluationIntervalMs: 1000,
  cooldownUpMs: 10_000,
  cooldownDownMs: 60_000,
  paused: false,
};
const t0 = new Date("2026-12-06T05:00:00Z");
const at = (ms: number) => new Date(t0.getTime() + ms);
const value = (v: number, samples = 1): Measurement => ({ kind: "value", value: v, samples });

describe("the target-value rule", () => {
  it("sets ceil(value / target x count), clamped to min..max", () => {
    expect(decide({ service: "s", policy, count: 1, measurement: value(100), now: t0 }).to).toBe(2);
    expect(decide({ service: "s", policy, count: 3, measurement: value(80, 3), now: t0 }).to).toBe(5);
    expect(decide({ service: "s", policy, count: 4, measurement: value(10, 4), now: t0 }).to).toBe(1);
    const capped = decide({ service: "s", policy, count: 8, measurement: value(100, 8), now: t0 });
    expect(capped).toMatchObject({ to: 10, outcome: "scaled", from: 8 });
    const atMax = decide({ service: "s", policy, count: 10, measurement: value(100, 10), now: t0 });
    expect(atMax).toMatchObject({ to: 10, outcome: "at_limit" });
    expect(atMax.why).toContain("max_replicas 10");
    const atMin = decide({ service: "s", policy, count: 1, measurement: value(0), now: t0 });
    expect(atMin).toMatchObject({ to: 1, outcome: "at_limit" });
  });

  it("holds within 10 % of the target, so a load at the target never flaps", () => {
    for (const v of [45.5, 50, 54.9]) {
      const d = decide({ service: "s", policy, count: 4, measurement: value(v, 4), now: t0 });
      expect(d, String(v)).toMatchObject({ to: 4, outcome: "within_tolerance" });
    }
    expect(decide({ service: "s", policy, count: 4, measurement: value(56, 4), now: t0 }).to).toBe(5);
  });

  it("waits out the cooldown up and the longer cooldown down after a change, separately", () => {
    const lastChangeAt = t0;
    const up = (ms: number) =>
      decide({ service: "s", policy, count: 2, measurement: value(100, 2), now: at(ms), lastChangeAt });
    expect(up(9_999)).toMatchObject({ to: 2, outcome: "cooldown" });
    expect(up(9_999).why).toContain("scale-up to 4 waits for its cooldown until 2026-12-06T05:00:10.000Z");
    expect(up(10_000)).toMatchObject({ to: 4, outcome: "scaled" });
    const down = (ms: number) =>
      decide({ service: "s", policy, count: 2, measurement: value(0, 2), now: at(ms), lastChangeAt });
    expect(down(10_000)).toMatchObject({ to: 2, outcome: "cooldown" });
    expect(down(59_999)).toMatchObject({ to: 2, outcome: "cooldown" });
    expect(down(60_000)).toMatchObject({ to: 1, outcome: "scaled" });
  });

  it("brings a count outside min..max back, measured or not, cooldown or not", () => {
    const missing: Measurement = { kind: "missing", outcome: "no_samples", why: "no replica is running to measure" };
    expect(decide({ service: "s", policy, count: 0, measurement: missing, now: t0, lastChangeAt: t0 })).toMatchObject({
      to: 1,
      outcome: "scaled",
    });
    expect(decide({ service: "s", policy, count: 12, measurement: value(50, 12), now: t0 })).toMatchObject({ to: 10 });
    expect(decide({ service: "s", policy, count: 3, measurement: missing, now: t0 })).toMatchObject({
      to: 3,
      outcome: "no_samples",
      why: "no replica is running to measure",
    });
  });

  it("scales a query's service from 0 by ceil(value / target)", () => {
    const query: AutoscalePolicy = { ...policy, metric: "prometheus_query", query: "q", target: 2, minReplicas: 0 };
    expect(decide({ service: "s", policy: query, count: 0, measurement: value(7, 0), now: t0 }).to).toBe(4);
    expect(decide({ service: "s", policy: query, count: 0, measurement: value(0, 0), now: t0 })).toMatchObject({
      to: 0,
    });
  });

  it("records a change, or a new reason to hold, but not the same hold again", () => {
    const hold = decide({ service: "s", policy, count: 4, measurement: value(50, 4), now: t0 });
    const again = decide({ service: "s", policy, count: 4, measurement: value(52, 4), now: at(1000) });
    expect(isNewDecision(hold, undefined)).toBe(true);
    expect(isNewDecision(again, hold)).toBe(false);
    const change = decide({ service: "s", policy, count: 4, measurement: value(100, 4), now: at(2000) });
    expect(isNewDecision(change, again)).toBe(true);
    const cooldown = decide({
      service: "s",
      policy,
      count: 8,
      measurement: value(0, 8),
      now: at(3000),
      lastChangeAt: at(2000),
    });
    expect(isNewDecision(cooldown, change)).toBe(true);
  });
});

describe("the scale-down stabilization window", () => {
  it("goes no lower than the most an evaluation of the last cooldown_down wanted, so one low sample removes nothing", () => {
    const stable: AutoscalePolicy = { ...policy, cooldownUpMs: 0, cooldownDownMs: 30_000 };
    const recent = [
      { at: at(-40_000), wanted: 6 },
      { at: at(-20_000), wanted: 4 },
      { at: at(-10_000), wanted: 2 },
    ];
    // A dip asks for 1; within the window an evaluation wanted 4.
    const dip = decide({ service: "s", policy: stable, count: 4, measurement: value(5, 4), now: t0, recent });
    expect(dip).toMatchObject({ to: 4, outcome: "stabilizing", wanted: 1 });
    expect(dip.why).toContain("scale-down to 1 waits: an evaluation of the last cooldown_down wanted 4");
    // From 5, it goes down, but only as far as 4.
    expect(decide({ service: "s", policy: stable, count: 5, measurement: value(5, 5), now: t0, recent })).toMatchObject(
      {
        to: 4,
        outcome: "scaled",
      },
    );
    // Once every evaluation of the window wanted fewer, it goes all the way.
    const later = decide({ service: "s", policy: stable, count: 4, measurement: value(5, 4), now: at(25_000), recent });
    expect(later).toMatchObject({ to: 1, outcome: "scaled" });
    // A scale-up is not held by it.
    expect(decide({ service: "s", policy: stable, count: 2, measurement: value(100, 2), now: t0, recent }).to).toBe(4);
  });
});
