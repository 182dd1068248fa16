import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

type Version = [number, number, number];

function parse(text: string): Version {
  const [major = 0, minor = 0, patch = 0] = text
    .replace(/^v/, "")
    .split(".")
    .map((part) => (/^\d+$/.test(part) ? Number(part) : 0));
  return [major, minor, patch];
}

const compare = (a: Version, b: Version) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** One comparator of an npm range, in the forms package-lock.json's engines use: >=X, ^X.Y, X.*, X.x. */
function admits(version: Version, comparator: string): boolean {
  const match = /^(>=|\^)?\s*v?([\d.*x]+)$/.exec(comparator.trim());
  if (!match) throw new Error(`engines range part not understood: ${comparator}`);
  const [, op, raw] = match;
  const bound = parse(raw!.replace(/\.?[*x]/g, ""));
  if (op === ">=") return compare(version, bound) >= 0;
  // ^X.Y.Z, X.*, X: the same major, at or above the bound.
  return version[0] === bound[0] && compare(version, bound) >= 0;
}

/** Whether `version` satisfies an engines range such as `^20.19.0 || >=22.12.0`. */
function satisfies(version: string, range: string): boolean {
  return range.split("||").some((part) =>
    part
      .trim()
      .replace(/(>=|\^)\s+/g, "$1")
      .split(/\s+/)
      .every((comparator) => admits(parse(version), comparator)),
  );
}

const lock = JSON.parse(readFileSync("package-lock.json", "utf8")) as {
  packages: Record<string, { engines?: { node?: string } | string[] }>;
};
const declared = (JSON.parse(readFileSync("package.json", "utf8")) as { engines: { node: string } }).engines.node;
const lowest = declared.replace(/^>=\s*/, "");

describe("the Node.js version the project states", () => {
  it("reads npm ranges as npm does, for the forms in the lock file", () => {
    expect(satisfies("20.20.2", "^20.19.0 || >=22.12.0")).toBe(true);
    expect(satisfies("20.18.0", "^20.19.0 || >=22.12.0")).toBe(false);
    expect(satisfies("20.20.2", ">=22")).toBe(false);
    expect(satisfies("20.0.0", "6.* || 8.* || >= 10.*")).toBe(true);
    expect(satisfies("20.0.0", ">= 10.x")).toBe(true);
    expect(satisfies("21.0.0", "^20.0.0 || ^22.0.0 || >=24.0.0")).toBe(false);
  });

  it("is a lowest version every dependency's engines accept, and so is the Node running this (no EBADENGINE on npm ci)", () => {
    expect(declared).toMatch(/^>=\d+\.\d+\.\d+$/);
    const refusing = (version: string) =>
      Object.entries(lock.packages)
        .filter(([path]) => path !== "")
        .flatMap(([path, entry]) => {
          const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
          return range !== undefined && !satisfies(version, range) ? [`${path}: ${range}`] : [];
        });
    expect(refusing(lowest)).toEqual([]);
    expect(refusing(process.version)).toEqual([]);
  });

  it("is the version the README states", () => {
    expect(readFileSync("README.md", "utf8")).toContain(`Node.js ${lowest.replace(/\.0$/, "")} or later`);
  });
});
