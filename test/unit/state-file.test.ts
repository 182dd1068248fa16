import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createStateFile } from "../../src/registry/state-file.js";
import { defaultUpdatePolicy, definitionWithDefaults, type StoredService } from "../../src/model/service-definition.js";

const stored: StoredService = {
  definition: definitionWithDefaults({ name: "web", image: "busybox:1" }),
  version: 3,
  replicas: 2,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-02T00:00:00.000Z",
  updatePolicy: { ...defaultUpdatePolicy },
};

describe("state file", () => {
  it("starts empty when there is no file, and round-trips what it saved", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dockhand-state-"));
    const file = createStateFile(join(dir, "nested"));
    expect((await file.load()).size).toBe(0);
    await file.save(new Map([["web", stored]]));
    expect(await createStateFile(join(dir, "nested")).load()).toEqual(new Map([["web", stored]]));
    expect(readdirSync(join(dir, "nested"))).toEqual(["state.json"]);
  });

  it.each([
    ["not JSON", "{ nope"],
    ["wrong shape", JSON.stringify({ format: 1, services: { web: { definition: { name: "other" } } } })],
    ["unknown format", JSON.stringify({ format: 99, services: {} })],
  ])("refuses a corrupt file (%s) with a clear message and leaves it untouched", async (_what, content) => {
    const dir = mkdtempSync(join(tmpdir(), "dockhand-state-"));
    writeFileSync(join(dir, "state.json"), content);
    await expect(createStateFile(dir).load()).rejects.toThrow(
      /state file .*state\.json is corrupt .*will not overwrite it/,
    );
    expect(readFileSync(join(dir, "state.json"), "utf8")).toBe(content);
  });
});
