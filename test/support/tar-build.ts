/** Tar archives for tests, including the hostile ones a real tool would refuse to write. */
export interface TarEntry {
  name: string;
  /** "0" file (default), "1" hard link, "2" symbolic link, "5" directory, "3" char device, "x" PAX header. */
  type?: string;
  content?: string | Buffer;
  linkname?: string;
  mode?: number;
}

function header(entry: TarEntry, size: number): Buffer {
  const block = Buffer.alloc(512);
  const octal = (value: number, width: number) => value.toString(8).padStart(width - 1, "0") + "\0";
  block.write(entry.name, 0, 100);
  block.write(octal(entry.mode ?? (entry.type === "5" ? 0o755 : 0o644), 8), 100);
  block.write(octal(0, 8), 108);
  block.write(octal(0, 8), 116);
  block.write(octal(size, 12), 124);
  block.write(octal(Math.floor(Date.now() / 1000), 12), 136);
  block.write("        ", 148);
  block.write(entry.type ?? "0", 156);
  block.write(entry.linkname ?? "", 157, 100);
  block.write("ustar\0", 257);
  block.write("00", 263);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(octal(sum, 7) + " ", 148);
  return block;
}

/** A PAX extended header entry giving the next entry's path (which may be longer, or worse). */
export function paxPath(path: string): TarEntry {
  const record = (length: number) => `${length} path=${path}\n`;
  let length = record(0).length;
  while (record(length).length !== length) length = record(length).length;
  return { name: "PaxHeader", type: "x", content: record(length) };
}

export function buildTar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const content = Buffer.from(entry.content ?? "");
    parts.push(header(entry, content.length), content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** The names and contents of a plain ustar archive (what the engine's get-archive sends). */
export function readTar(tar: Buffer): Array<{ name: string; type: string; content: Buffer; linkname: string }> {
  const entries: Array<{ name: string; type: string; content: Buffer; linkname: string }> = [];
  let at = 0;
  let longName: string | undefined;
  while (at + 512 <= tar.length) {
    const block = tar.subarray(at, at + 512);
    if (block.every((b) => b === 0)) break;
    const field = (offset: number, length: number) => {
      const raw = block.subarray(offset, offset + length);
      const nul = raw.indexOf(0);
      return raw.subarray(0, nul === -1 ? length : nul).toString();
    };
    const size = parseInt(field(124, 12).trim() || "0", 8);
    const type = field(156, 1) || "0";
    const content = tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    if (type === "x" || type === "g") {
      const path = /\d+ path=([^\n]*)\n/.exec(content.toString())?.[1];
      if (path) longName = path;
      continue;
    }
    const prefix = field(345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    longName = undefined;
    entries.push({ name, type, content: Buffer.from(content), linkname: field(157, 100) });
  }
  return entries;
}
