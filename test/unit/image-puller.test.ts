import { describe, expect, it } from "vitest";
import { pino } from "pino";
import { createFakeEngine } from "../support/fake-engine.js";
import { isDockhandError } from "../../src/model/dockhand-error.js";
import { createImagePuller } from "../../src/orchestrator/local/image-puller.js";

const logger = pino({ level: "silent" });

describe("image puller", () => {
  it("pulls a missing image once for many concurrent callers", async () => {
    const engine = createFakeEngine();
    engine.addRegistryImage("app:1");
    const puller = createImagePuller({ engine, logger });
    await Promise.all(Array.from({ length: 10 }, () => puller.ensure("app:1")));
    expect(engine.pulls).toEqual(["app:1"]);
    await puller.ensure("app:1");
    expect(engine.pulls).toEqual(["app:1"]);
  });

  it("does not pull an image already present, and pulls different images separately", async () => {
    const engine = createFakeEngine();
    engine.addImage("present:1");
    engine.addRegistryImage("a:1");
    engine.addRegistryImage("b:1");
    const puller = createImagePuller({ engine, logger });
    await Promise.all([puller.ensure("present:1"), puller.ensure("a:1"), puller.ensure("b:1"), puller.ensure("a:1")]);
    expect([...engine.pulls].sort()).toEqual(["a:1", "b:1"]);
  });

  it("fails every waiting caller with FailedPrecondition naming the image, and retries on the next call", async () => {
    const engine = createFakeEngine();
    const puller = createImagePuller({ engine, logger });
    const results = await Promise.allSettled([puller.ensure("gone:1"), puller.ensure("gone:1")]);
    for (const result of results) {
      expect(result.status).toBe("rejected");
      const reason = (result as PromiseRejectedResult).reason;
      expect(isDockhandError(reason, "FailedPrecondition")).toBe(true);
      expect(reason.message).toContain('"gone:1"');
      expect(reason.details).toMatchObject({ field: "image", pullError: "NotFound" });
    }
    expect(engine.pulls).toEqual(["gone:1"]);
    engine.addRegistryImage("gone:1");
    await puller.ensure("gone:1");
    expect(engine.pulls).toEqual(["gone:1", "gone:1"]);
  });

  it("passes an unreachable engine through unchanged", async () => {
    const engine = createFakeEngine();
    engine.setReachable(false);
    const puller = createImagePuller({ engine, logger });
    await expect(puller.ensure("app:1")).rejects.toMatchObject({ kind: "Unavailable" });
    expect(engine.pulls).toEqual([]);
  });
});
