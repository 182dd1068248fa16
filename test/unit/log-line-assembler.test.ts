import { describe, expect, it } from "vitest";
import { createLogLineAssembler, parseEngineTime } from "../../src/engine/log-line-assembler.js";
import type { LogLine } from "../../src/engine/container-streams.js";

const t1 = "2026-11-22T02:44:24.621964334Z";
const t2 = "2026-11-22T02:44:25.000000001Z";
const nano1 = 1795315464621964334n;

describe("log line assembler", () => {
  it("parses the engine's times to the nanosecond", () => {
    expect(parseEngineTime(t1)).toBe(nano1);
    expect(parseEngineTime("2026-11-22T02:44:24Z")).toBe(1795315464000000000n);
    expect(parseEngineTime("2026-11-22T03:44:24.5+01:00")).toBe(1795315464500000000n);
    expect(parseEngineTime("yesterday")).toBeUndefined();
  });

  it("makes one line per entry, per stream, without line endings", () => {
    const lines = createLogLineAssembler({ tty: false, timestamps: false });
    expect(lines.push("stdout", Buffer.from("a\n"))).toEqual([{ stream: "stdout", text: "a" }]);
    expect(lines.push("stderr", Buffer.from("b\r\n"))).toEqual([{ stream: "stderr", text: "b" }]);
    expect(lines.push("stdout", Buffer.from("c\nd\n"))).toEqual([
      { stream: "stdout", text: "c" },
      { stream: "stdout", text: "d" },
    ]);
    expect(lines.flush()).toEqual([]);
  });

  it("joins a line the engine logged in parts, keeping its first time, and never mixes streams", () => {
    const lines = createLogLineAssembler({ tty: false, timestamps: true });
    expect(lines.push("stdout", Buffer.from(`${t1} first half `))).toEqual([]);
    expect(lines.push("stderr", Buffer.from(`${t2} other\n`))).toEqual([
      { stream: "stderr", text: "other", timeNano: parseEngineTime(t2) },
    ]);
    expect(lines.push("stdout", Buffer.from(`${t2} second half\n`))).toEqual([
      { stream: "stdout", text: "first half second half", timeNano: nano1 },
    ]);
  });

  it("joins a multi-byte character split across entries and replaces bytes that are not UTF-8", () => {
    const lines = createLogLineAssembler({ tty: false, timestamps: false });
    const snowman = Buffer.from("☃");
    lines.push("stdout", snowman.subarray(0, 1));
    expect(lines.push("stdout", Buffer.concat([snowman.subarray(1), Buffer.from("\n")]))).toEqual([
      { stream: "stdout", text: "☃" },
    ]);
    expect(lines.push("stdout", Buffer.from([0xff, 0x41, 0x0a]))).toEqual([{ stream: "stdout", text: "\ufffdA" }]);
  });

  it("with a Tty, takes raw chunks that end anywhere, and parses each line's time", () => {
    const lines = createLogLineAssembler({ tty: true, timestamps: true });
    const raw = Buffer.from(`${t1} one\r\n${t2} two\r\n${t1} tail`);
    const seen: LogLine[] = [];
    for (let at = 0; at < raw.length; at += 7) seen.push(...lines.push("stdout", raw.subarray(at, at + 7)));
    seen.push(...lines.flush());
    expect(seen).toEqual([
      { stream: "stdout", text: "one", timeNano: nano1 },
      { stream: "stdout", text: "two", timeNano: parseEngineTime(t2) },
      { stream: "stdout", text: "tail", timeNano: nano1 },
    ]);
  });

  it("hands over the unterminated last line of each stream at the end", () => {
    const lines = createLogLineAssembler({ tty: false, timestamps: false });
    lines.push("stdout", Buffer.from("no newline"));
    lines.push("stderr", Buffer.from("nor here"));
    expect(lines.flush()).toEqual([
      { stream: "stdout", text: "no newline" },
      { stream: "stderr", text: "nor here" },
    ]);
    expect(lines.flush()).toEqual([]);
  });

  describe("caps a line at maxLineBytes", () => {
    it("hands a long line on in parts, each but the last continued, and keeps its time on every part", () => {
      const lines = createLogLineAssembler({ tty: false, timestamps: true, maxLineBytes: 4 });
      expect(lines.push("stdout", Buffer.from(`${t1} abcdefghij\nk\n`))).toEqual([
        { stream: "stdout", text: "abcd", timeNano: nano1, continued: true },
        { stream: "stdout", text: "efgh", timeNano: nano1, continued: true },
        { stream: "stdout", text: "ij", timeNano: nano1 },
        { stream: "stdout", text: "k", timeNano: nano1 },
      ]);
    });

    it("hands a line without end on as it grows, holding less than the cap", () => {
      const lines = createLogLineAssembler({ tty: false, timestamps: false, maxLineBytes: 4 });
      const got: LogLine[] = [];
      for (let i = 0; i < 5; i++) got.push(...lines.push("stdout", Buffer.from("xyz")));
      expect(got.map((line) => line.text)).toEqual(["xyzx", "yzxy", "zxyz"]);
      expect(got.every((line) => line.continued)).toBe(true);
      expect(lines.push("stdout", Buffer.from("!\n"))).toEqual([{ stream: "stdout", text: "xyz!" }]);
      expect(lines.flush()).toEqual([]);
    });

    it("never cuts a UTF-8 character in two", () => {
      const lines = createLogLineAssembler({ tty: false, timestamps: false, maxLineBytes: 4 });
      const got = lines.push("stdout", Buffer.from("a☃☃b\n"));
      expect(got.map((line) => line.text)).toEqual(["a☃", "☃b"]);
      expect(got.map((line) => line.text).join("")).toBe("a☃☃b");
    });

    it("parses a Tty line's time once, before its first part", () => {
      const lines = createLogLineAssembler({ tty: true, timestamps: true, maxLineBytes: 4 });
      const got = [...lines.push("stdout", Buffer.from(`${t1} abcdef`)), ...lines.push("stdout", Buffer.from("gh\n"))];
      expect(got).toEqual([
        { stream: "stdout", text: "abcd", timeNano: nano1, continued: true },
        { stream: "stdout", text: "efgh", timeNano: nano1 },
      ]);
    });

    it("keeps a 60 MB line without newline to parts of 64 KiB by default", () => {
      const lines = createLogLineAssembler({ tty: false, timestamps: false });
      const chunk = Buffer.alloc(16 * 1024, 0x61);
      let parts = 0;
      for (let i = 0; i < 60 * 64; i++) {
        for (const line of lines.push("stdout", chunk)) {
          expect(line.text.length).toBe(64 * 1024);
          parts++;
        }
      }
      expect(parts).toBeGreaterThanOrEqual(60 * 16 - 1);
    });
  });
});
