import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { lockDataDir } from "../../src/registry/data-dir-lock.js";

describe("data directory lock", () => {
  it("holds the directory with this pid, and lets it go on release", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dockhand-lock-"));
    const release = await lockDataDir(dir);
    expect(readFileSync(join(dir, "dockhand.pid"), "utf8").trim()).toBe(String(process.pid));
    await release();
    expect(existsSync(join(dir, "dockhand.pid"))).toBe(false);
  });

  it("refuses a directory another live process holds, naming its pid", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dockhand-lock-"));
    const other = spawn("sleep", ["30"]);
    try {
      writeFileSync(join(dir, "dockhand.pid"), `${other.pid}\n`);
      await expect(lockDataDir(dir)).rejects.toMatchObject({
        kind: "FailedPrecondition",
        message: expect.stringContaining(`pid ${other.pid}`),
      });
    } finally {
      other.kill();
    }
  });

  it("takes over a lock its holder left behind when it died", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dockhand-lock-"));
    const gone = spawn("true");
    await new Promise((resolve) => gone.once("exit", resolve));
    writeFileSync(join(dir, "dockhand.pid"), `${gone.pid}\n`);
    const release = await lockDataDir(dir);
    expect(readFileSync(join(dir, "dockhand.pid"), "utf8").trim()).toBe(String(process.pid));
    await release();
  });
});
