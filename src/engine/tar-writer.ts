/** A regular file to place in a container. */
export interface ContainerFile {
  /** Absolute path in the container. */
  path: string;
  content: Buffer;
  mode: number;
  uid: number;
  gid: number;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

/** A ustar header names a file in 100 bytes, or 155 + 100 split at a `/`. */
function splitName(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: "" };
  for (let cut = path.indexOf("/"); cut !== -1; cut = path.indexOf("/", cut + 1)) {
    const prefix = path.slice(0, cut);
    const name = path.slice(cut + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  throw new Error(`path too long for a tar header: ${path.length} characters`);
}

/** The ustar header of a regular file of `size` bytes; its content follows, then `tarPadding(size)`. */
export function tarFileHeader(file: Omit<ContainerFile, "content">, size: number): Buffer {
  const header = Buffer.alloc(512);
  const { name, prefix } = splitName(file.path.replace(/^\/+/, ""));
  header.write(name, 0, 100);
  header.write(octal(file.mode, 8), 100, 8);
  header.write(octal(file.uid, 8), 108, 8);
  header.write(octal(file.gid, 8), 116, 8);
  header.write(octal(size, 12), 124, 12);
  header.write(octal(Math.floor(Date.now() / 1000), 12), 136, 12);
  header.write("        ", 148, 8);
  header.write("0", 156, 1);
  header.write("ustar\0", 257, 6);
  header.write("00", 263, 2);
  header.write(prefix, 345, 155);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(octal(sum, 7) + " ", 148, 8);
  return header;
}

/** Zeros after a file's content, up to the next 512-byte block. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((512 - (size % 512)) % 512);
}

/** The two empty blocks that end an archive. */
export const tarEnd: Buffer = Buffer.alloc(1024);

/** A tar archive (ustar) of regular files, for the engine's put-archive call; paths relative to `/`. */
export function tarOf(files: readonly ContainerFile[]): Buffer {
  const blocks: Buffer[] = [];
  for (const file of files) {
    blocks.push(tarFileHeader(file, file.content.length), file.content, tarPadding(file.content.length));
  }
  blocks.push(tarEnd);
  return Buffer.concat(blocks);
}
