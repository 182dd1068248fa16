import { describe, expect, it } from "vitest";
import { createTarChecker } from "../../src/engine/tar-checker.js";
import { isDockhandError } from "../../src/model/dockhand-error.js";
import { buildTar, paxPath, type TarEntry } from "../support/tar-build.js";

const limits = { maxBytes: 1000, maxEntries: 4 };

/** Checks the archive in chunks of `size` bytes, as a stream would bring it. */
function check(entries: readonly TarEntry[], size = 100, destination = "/work") {
  const tar = buildTar(entries);
  const checker = createTarChecker(destination, limits);
  for (let at = 0; at < tar.length; at += size) checker.push(tar.subarray(at, at + size));
  return checker.end();
}

function refusal(run: () => unknown): { kind: string; message: string } {
  try {
    run();
  } catch (err) {
    if (isDockhandError(err)) return { kind: err.kind, message: err.message };
    throw err;
  }
  throw new Error("not refused");
}

describe("createTarChecker", () => {
  it("counts the entries and content of a good archive, whatever the chunk size", () => {
    const entries: TarEntry[] = [
      { name: "conf/", type: "5" },
      { name: "conf/a.txt", content: "x".repeat(700) },
      { name: "conf/link", type: "2", linkname: "a.txt" },
      { name: "./conf/hard", type: "1", linkname: "conf/a.txt" },
    ];
    for (const size of [1, 7, 512, 100_000]) expect(check(entries, size)).toEqual({ entries: 4, bytes: 700 });
  });

  it("accepts an absolute link target inside the destination", () => {
    expect(check([{ name: "l", type: "2", linkname: "/work/sub/x" }])).toEqual({ entries: 1, bytes: 0 });
  });

  it("refuses every way out of the destination, naming the entry", () => {
    const attacks: Array<[TarEntry[], string]> = [
      [[{ name: "../evil", content: "x" }], "'..'"],
      [[{ name: "a/../../evil", content: "x" }], "'..'"],
      [[{ name: "/etc/evil", content: "x" }], "absolute"],
      [[{ name: "out", type: "2", linkname: "../../etc" }], "points outside"],
      [[{ name: "a/out", type: "2", linkname: "../.." }], "points outside"],
      [[{ name: "abs", type: "2", linkname: "/etc/passwd" }], "points outside"],
      [[{ name: "hard", type: "1", linkname: "../x" }], "'..'"],
      [[{ name: "hard", type: "1", linkname: "/etc/shadow" }], "absolute"],
      [[paxPath("../../pax-evil"), { name: "innocent", content: "x" }], "'..'"],
      [[{ name: "tty", type: "3" }], "device"],
    ];
    for (const [entries, problem] of attacks) {
      const refused = refusal(() => check(entries));
      expect(refused.kind, JSON.stringify(entries)).toBe("InvalidArgument");
      expect(refused.message).toContain(problem);
    }
  });

  it("refuses more entries or bytes than the limits with ResourceExhausted", () => {
    const many = Array.from({ length: 5 }, (_, i) => ({ name: `f${i}`, content: "" }));
    expect(refusal(() => check(many))).toMatchObject({
      kind: "ResourceExhausted",
      message: expect.stringContaining("4 entries"),
    });
    const big = [{ name: "big", content: "x".repeat(1001) }];
    expect(refusal(() => check(big))).toMatchObject({
      kind: "ResourceExhausted",
      message: expect.stringContaining("1000 bytes"),
    });
  });

  it("refuses what is not a tar archive, and a truncated one", () => {
    const checker = createTarChecker("/work", limits);
    expect(refusal(() => checker.push(Buffer.alloc(512, 7))).message).toContain("checksum");
    const tar = buildTar([{ name: "a", content: "x".repeat(600) }]);
    const truncated = createTarChecker("/work", limits);
    truncated.push(tar.subarray(0, 700));
    expect(refusal(() => truncated.end()).message).toContain("truncated");
  });
});
