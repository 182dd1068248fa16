import { describe, expect, it } from "vitest";
import { createFrameDemuxer, demuxBuffer, type OutputFrame } from "../../src/engine/frame-demuxer.js";
import { isDockhandError } from "../../src/model/dockhand-error.js";

function frame(stream: number, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

const plain = (frames: OutputFrame[]) => frames.map((f) => [f.stream, f.data.toString()]);

describe("frame demuxer", () => {
  const input = Buffer.concat([
    frame(1, "out 1\n"),
    frame(2, "err é\n"),
    frame(1, ""),
    frame(1, "out 2\n"),
    frame(0, "in\n"),
  ]);
  const expected = [
    ["stdout", "out 1\n"],
    ["stderr", "err é\n"],
    ["stdout", "out 2\n"],
    ["stdout", "in\n"],
  ];

  it("strips the 8-byte headers of a whole buffer (logs without follow)", () => {
    expect(plain(demuxBuffer(input))).toEqual(expected);
  });

  it("gives the same frames however the stream is split, even inside a header or a character", () => {
    for (let size = 1; size <= input.length; size++) {
      const demuxer = createFrameDemuxer();
      const frames: OutputFrame[] = [];
      for (let at = 0; at < input.length; at += size) frames.push(...demuxer.push(input.subarray(at, at + size)));
      demuxer.end();
      expect(plain(frames), `chunks of ${size}`).toEqual(expected);
    }
  });

  it("holds an incomplete frame until its rest arrives, and reports a stream cut inside one", () => {
    const demuxer = createFrameDemuxer();
    const whole = frame(2, "0123456789");
    expect(demuxer.push(whole.subarray(0, 5))).toEqual([]);
    expect(demuxer.push(whole.subarray(5, 12))).toEqual([]);
    expect(plain(demuxer.push(whole.subarray(12)))).toEqual([["stderr", "0123456789"]]);
    demuxer.push(whole.subarray(0, 9));
    let failure: unknown;
    try {
      demuxer.end();
    } catch (err) {
      failure = err;
    }
    expect(isDockhandError(failure, "Unavailable")).toBe(true);
  });

  it("reports the engine's own error frames (stream 3) as such", () => {
    expect(plain(demuxBuffer(Buffer.concat([frame(1, "ok\n"), frame(3, "log file gone")])))).toEqual([
      ["stdout", "ok\n"],
      ["error", "log file gone"],
    ]);
  });

  it("copes with a payload over 64 KiB arriving in many chunks", () => {
    const big = "x".repeat(200_000);
    const input = Buffer.concat([frame(1, big), frame(2, "after\n")]);
    const demuxer = createFrameDemuxer();
    const frames: OutputFrame[] = [];
    for (let at = 0; at < input.length; at += 65_536) frames.push(...demuxer.push(input.subarray(at, at + 65_536)));
    demuxer.end();
    expect(frames.map((f) => [f.stream, f.data.length])).toEqual([
      ["stdout", 200_000],
      ["stderr", 6],
    ]);
  });
});
