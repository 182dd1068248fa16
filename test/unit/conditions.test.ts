import { describe, expect, it } from "vitest";
import { DockhandError } from "../../src/model/dockhand-error.js";
import {
  conditionTypeOf,
  createConditionRecord,
  isImagePullFailure,
  isPortTaken,
  markCondition,
} from "../../src/orchestrator/conditions.js";
import { derivedConditions } from "../../src/orchestrator/service-status.js";

describe("conditions", () => {
  it("counts a cause seen again on the same condition, keeps its first time, and clears when a pass goes through", () => {
    const record = createConditionRecord();
    const changed: string[] = [];
    record.onChange((service) => changed.push(service));
    record.report("web", "image_pull_failed", "pull failed");
    const first = record.of("web")[0]!;
    record.report("web", "image_pull_failed", "pull failed again");
    const [again] = record.of("web");
    expect(again).toMatchObject({ type: "image_pull_failed", message: "pull failed again", slot: 0, count: 2 });
    expect(again!.firstSeenAt).toEqual(first.firstSeenAt);
    expect(again!.lastSeenAt!.getTime()).toBeGreaterThanOrEqual(first.lastSeenAt!.getTime());
    record.clear("web");
    expect(record.of("web")).toEqual([]);
    record.clear("web");
    expect(changed).toEqual(["web", "web", "web"]);
  });

  it("reads an error's condition through the errors that wrap it", () => {
    const cause = markCondition(new DockhandError("NotFound", "no such image"), "image_pull_failed");
    const wrapped = new DockhandError("FailedPrecondition", "scale stopped", { cause: new Error("outer", { cause }) });
    expect(conditionTypeOf(wrapped)).toBe("image_pull_failed");
    expect(conditionTypeOf(new Error("plain"))).toBeUndefined();
    expect(conditionTypeOf("not an error")).toBeUndefined();
  });

  it("reads the engine's words for a port taken and an image it could not pull", () => {
    expect(
      isPortTaken(
        "driver failed programming external connectivity: Bind for 0.0.0.0:8080 failed: port is already allocated",
      ),
    ).toBe(true);
    expect(isPortTaken("listen tcp4 0.0.0.0:80: bind: address already in use")).toBe(true);
    expect(isPortTaken("exec: no such file")).toBe(false);
    expect(isImagePullFailure("No such image: busybox:9")).toBe(true);
    expect(isImagePullFailure("pull access denied for x, repository does not exist")).toBe(true);
    expect(isImagePullFailure("task: non-zero exit (3)")).toBe(false);
  });

  it("derives crash-looping, unhealthy and a paused rollout from what status holds", () => {
    const at = new Date("2026-12-06T03:00:00Z");
    const firstAt = new Date("2026-12-06T02:59:00Z");
    const found = derivedConditions({
      failures: [
        { slot: 2, exitCode: 3, reason: "boom", at, firstAt, consecutive: 3, nextAttemptAt: at },
        { slot: 1, exitCode: 1, reason: "once", at, consecutive: 1, nextAttemptAt: at },
      ],
      containers: [
        {
          id: "a",
          name: "web-1",
          slot: 1,
          state: "running",
          health: "unhealthy",
          ports: [],
          startedAt: at,
          createdAt: at,
          definitionVersion: 1,
          exitCode: 0,
        },
      ],
      rollout: {
        state: "paused",
        message: "update paused: web-1 unhealthy",
        fromVersion: 1,
        toVersion: 2,
        startedAt: at.toISOString(),
      },
    });
    expect(found.map((c) => [c.type, c.slot, c.count])).toEqual([
      ["crash_looping", 2, 3],
      ["unhealthy", 1, 1],
      ["rollout_paused", 0, 1],
    ]);
    expect(found[0]).toMatchObject({ firstSeenAt: firstAt, lastSeenAt: at });
    expect(found[0]!.message).toContain("exited with code 3: boom");
    expect(found[2]!.message).toBe("update paused: web-1 unhealthy");
  });
});
