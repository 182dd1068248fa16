import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readOrCreateInstanceId } from "../../src/registry/instance-id.js";

describe("instance id", () => {
  it("is made once and read back the same after a restart", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "dockhand-id-")), "data");
    const first = await readOrCreateInstanceId(dir);
    expect(first).toMatch(/^[a-f0-9]{12}$/);
    expect(await readOrCreateInstanceId(dir)).toBe(first);
  });

  it("refuses a corrupt file and leaves it as it is", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dockhand-id-"));
    writeFileSync(join(dir, "instance-id"), "not an id!\n");
    await expect(readOrCreateInstanceId(dir)).rejects.toMatchObject({ kind: "FailedPrecondition" });
    expect(readFileSync(join(dir, "instance-id"), "utf8")).toBe("not an id!\n");
  });
});
