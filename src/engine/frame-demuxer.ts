import { DockhandError } from "../model/dockhand-error.js";

export type OutputStreamName = "stdout" | "stderr";

/**
 * One frame of the engine's multiplexed output: its payload, without the 8-byte header.
 * `error` is the engine's own failure report in the middle of a stream (stream 3, e.g. a log
 * file it could not read): its payload is the message.
 */
export interface OutputFrame {
  stream: OutputStreamName | "error";
  data: Buffer;
}

export interface FrameDemuxer {
  /** Adds a chunk and returns the frames it completed, in order. */
  push(chunk: Buffer): OutputFrame[];
  /** Throws when the input ended inside a frame (a truncated stream). */
  end(): void;
}

const headerBytes = 8;
const streamNames: Record<number, OutputFrame["stream"]> = { 1: "stdout", 2: "stderr", 3: "error" };

/**
 * Removes the engine's framing of a container's or exec's output when it has no Tty: each
 * frame is a header (byte 0 the stream: 1 stdout, 2 stderr; bytes 4-7 the payload length, big
 * endian) and the payload. A read can end anywhere, even inside a header, so the rest of an
 * incomplete frame is held until the next chunk. Stream 0 (stdin) never carries output; it is
 * read as stdout, as the engine's own client does.
 */
export function createFrameDemuxer(): FrameDemuxer {
  let pending: Buffer = Buffer.alloc(0);
  return {
    push(chunk) {
      const input = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const frames: OutputFrame[] = [];
      let offset = 0;
      while (input.length - offset >= headerBytes) {
        const size = input.readUInt32BE(offset + 4);
        const end = offset + headerBytes + size;
        if (end > input.length) break;
        if (size > 0) {
          frames.push({
            stream: streamNames[input[offset] as number] ?? "stdout",
            data: input.subarray(offset + headerBytes, end),
          });
        }
        offset = end;
      }
      // A copy, so that a large chunk is not kept alive by the few bytes left of it.
      pending = offset === input.length ? Buffer.alloc(0) : Buffer.from(input.subarray(offset));
      return frames;
    },
    end() {
      if (pending.length > 0) {
        const held = pending.length;
        pending = Buffer.alloc(0);
        throw new DockhandError(
          "Unavailable",
          `the engine's output stream broke off inside a frame (${held} bytes left over)`,
        );
      }
    },
  };
}

/** Demuxes a whole multiplexed output held in one buffer (as dockerode returns logs without follow). */
export function demuxBuffer(buffer: Buffer): OutputFrame[] {
  const demuxer = createFrameDemuxer();
  const frames = demuxer.push(buffer);
  demuxer.end();
  return frames;
}
