import { DockhandError } from "../model/dockhand-error.js";

const block = 512;

/** At most this many bytes per chunk handed on. */
export const maxChunkBytes = 64 * 1024;

function size(header: Buffer): number {
  const field = header.subarray(124, 136);
  if ((field[0] ?? 0) & 0x80) {
    let value = (field[0] ?? 0) & 0x7f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    return value;
  }
  const text = field.toString("latin1").replace(/\0.*$/s, "").trim();
  return text === "" ? 0 : parseInt(text, 8);
}

/** The same bytes, cut into chunks of at most `maxChunkBytes`. */
export async function* rechunk(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    for (let at = 0; at < chunk.length; at += maxChunkBytes) yield chunk.subarray(at, at + maxChunkBytes);
  }
}

/**
 * The content of the one regular file a tar archive holds (as the engine's get-archive answers
 * for a file's path), in chunks, read at the consumer's pace: metadata entries (PAX, GNU long
 * names) before it are skipped.
 */
export async function* tarFileContent(tar: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let held = Buffer.alloc(0);
  let skip = 0;
  let remaining: number | undefined;
  for await (const chunk of tar) {
    let rest = chunk;
    while (rest.length > 0) {
      if (remaining !== undefined) {
        const part = rest.subarray(0, Math.min(remaining, rest.length));
        remaining -= part.length;
        for (let at = 0; at < part.length; at += maxChunkBytes) yield part.subarray(at, at + maxChunkBytes);
        if (remaining === 0) return;
        rest = rest.subarray(part.length);
        continue;
      }
      if (skip > 0) {
        const skipped = Math.min(skip, rest.length);
        skip -= skipped;
        rest = rest.subarray(skipped);
        continue;
      }
      held = Buffer.concat([held, rest]);
      rest = Buffer.alloc(0);
      if (held.length < block) break;
      const header = held.subarray(0, block);
      rest = held.subarray(block);
      held = Buffer.alloc(0);
      const type = String.fromCharCode(header[156] || 0x30);
      const length = size(header);
      if (type === "0" || type === "7") {
        if (length === 0) return;
        remaining = length;
      } else if (type === "x" || type === "g" || type === "L" || type === "K") {
        skip = Math.ceil(length / block) * block;
      } else {
        throw new DockhandError("FailedPrecondition", "the path is not a regular file");
      }
    }
  }
  if (remaining !== 0) throw new DockhandError("Unavailable", "the engine's archive ended before the file did");
}
