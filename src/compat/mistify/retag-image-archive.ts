import { DockhandError } from "../../model/dockhand-error.js";

const block = 512;
/** The two small JSON files rewritten; a larger one is not what `docker save` writes. */
const maxRewrittenBytes = 1024 * 1024;

function invalid(message: string): DockhandError {
  return new DockhandError("InvalidArgument", `image archive: ${message}`);
}

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? length : end).toString("utf8");
}

function sizeOf(header: Buffer): number {
  const raw = header.subarray(124, 136);
  // GNU base-256 for sizes past 8 GiB.
  if (raw[0] & 0x80) return raw.subarray(1).reduce((n, byte) => n * 256 + byte, raw[0] & 0x7f);
  return parseInt(field(header, 124, 12).trim() || "0", 8);
}

function withSize(header: Buffer, size: number): Buffer {
  const out = Buffer.from(header);
  out.write(`${size.toString(8).padStart(11, "0")}\0`, 124, 12, "ascii");
  out.fill(0x20, 148, 156);
  const sum = out.reduce((n, byte) => n + byte, 0);
  out.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "ascii");
  return out;
}

/** `repositories` and `manifest.json` of a one-image archive, retagged as `<id>:latest`. */
function rewrite(name: string, content: Buffer, id: string): Buffer {
  let doc: unknown;
  try {
    doc = JSON.parse(content.toString("utf8"));
  } catch {
    throw invalid(`${name} is not JSON`);
  }
  if (name === "manifest.json") {
    if (!Array.isArray(doc) || doc.length !== 1) throw invalid("manifest.json must describe exactly one image");
    return Buffer.from(JSON.stringify([{ ...(doc[0] as object), RepoTags: [`${id}:latest`] }]));
  }
  const repos = Object.values((doc ?? {}) as Record<string, Record<string, string>>);
  const tags = repos.length === 1 ? Object.values(repos[0] ?? {}) : [];
  if (tags.length !== 1) throw invalid("repositories must hold exactly one repository with one tag");
  return Buffer.from(JSON.stringify({ [id]: { latest: tags[0] } }));
}

/**
 * Passes a `docker save` tar through, with its image named `<id>:latest` (the seed rewrote the
 * `repositories` entry; current engines read `manifest.json`, so both are rewritten).
 */
export async function* retagImageArchive(source: AsyncIterable<Buffer>, id: string): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  let buf: Buffer = Buffer.alloc(0);
  let ended = false;
  const fill = async (n: number): Promise<boolean> => {
    while (buf.length < n && !ended) {
      const next = await iterator.next();
      if (next.done) ended = true;
      else buf = buf.length === 0 ? next.value : Buffer.concat([buf, next.value]);
    }
    return buf.length >= n;
  };
  for (;;) {
    if (!(await fill(block))) {
      if (buf.length > 0) yield buf;
      return;
    }
    const header = buf.subarray(0, block);
    if (header.every((byte) => byte === 0)) {
      // The end-of-archive blocks and anything after them go through as they are.
      yield buf;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
      return;
    }
    const prefix = field(header, 345, 155);
    const name = (prefix ? `${prefix}/` : "") + field(header, 0, 100);
    const size = sizeOf(header);
    const padded = Math.ceil(size / block) * block;
    if ((name === "repositories" || name === "manifest.json") && size <= maxRewrittenBytes) {
      if (!(await fill(block + padded))) throw invalid(`${name} is cut short`);
      const content = rewrite(name, buf.subarray(block, block + size), id);
      yield Buffer.concat([
        withSize(header, content.length),
        content,
        Buffer.alloc((block - (content.length % block)) % block),
      ]);
      buf = buf.subarray(block + padded);
      continue;
    }
    yield Buffer.from(header);
    buf = buf.subarray(block);
    let remaining = padded;
    while (remaining > 0) {
      if (!(await fill(1))) throw invalid(`${name.slice(0, 100)} is cut short`);
      const take = Math.min(remaining, buf.length);
      yield buf.subarray(0, take);
      buf = buf.subarray(take);
      remaining -= take;
    }
  }
}
