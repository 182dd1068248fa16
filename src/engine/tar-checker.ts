import { posix } from "node:path";
import { DockhandError } from "../model/dockhand-error.js";
import { quote } from "../model/quote.js";

export interface TarLimits {
  /** Most file content, summed over the archive, in bytes. */
  maxBytes: number;
  /** Most entries (files, directories, links; metadata headers not counted). */
  maxEntries: number;
}

export interface TarSummary {
  entries: number;
  /** File content, in bytes. */
  bytes: number;
}

export interface TarChecker {
  /** Checks the next bytes of the archive; throws at the first entry that is refused. */
  push(chunk: Buffer): void;
  /** Throws when the archive ended in the middle of an entry; else what it holds. */
  end(): TarSummary;
}

const block = 512;
/** PAX and GNU long-name records are metadata: more than this is not a real archive. */
const maxMetadataBytes = 1024 * 1024;

function cString(header: Buffer, offset: number, length: number): string {
  const field = header.subarray(offset, offset + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? length : nul).toString("utf8");
}

/** A numeric field: octal text, or GNU base-256 when the first byte has its high bit set. */
function numeric(header: Buffer, offset: number, length: number, what: string): number {
  const field = header.subarray(offset, offset + length);
  if ((field[0] ?? 0) & 0x80) {
    let value = (field[0] ?? 0) & 0x7f;
    for (const byte of field.subarray(1)) value = value * 256 + byte;
    return value;
  }
  const text = cString(header, offset, length).trim();
  if (text === "") return 0;
  if (!/^[0-7]+$/.test(text)) throw refused(`${what} field ${quote(text)} is not a number`);
  return parseInt(text, 8);
}

function refused(problem: string): DockhandError {
  return new DockhandError("InvalidArgument", `tar: ${problem}`, { details: { field: "tar" } });
}

function checksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < block; i++) sum += i >= 148 && i < 156 ? 32 : (header[i] ?? 0);
  return sum === numeric(header, 148, 8, "checksum");
}

/** PAX records: `<length> <key>=<value>\n`, each. */
function paxRecords(data: Buffer): Map<string, string> {
  const records = new Map<string, string>();
  let at = 0;
  while (at < data.length) {
    const space = data.indexOf(0x20, at);
    const length = Number(data.subarray(at, space).toString());
    if (space === -1 || !Number.isInteger(length) || length <= 0 || at + length > data.length)
      throw refused("a PAX header is malformed");
    const record = data.subarray(space + 1, at + length - 1).toString("utf8");
    const eq = record.indexOf("=");
    if (eq > 0) records.set(record.slice(0, eq), record.slice(eq + 1));
    at += length;
  }
  return records;
}

/** The archive path without `./`; refused when absolute or when any part is `..`. */
function insidePath(name: string, what: string): string {
  if (name.includes("\0")) throw refused(`${what} ${quote(name)} contains NUL`);
  if (name.startsWith("/")) throw refused(`${what} ${quote(name)} is absolute: entries must be relative`);
  if (name.split("/").includes(".."))
    throw refused(`${what} ${quote(name)} has a '..' part: it would leave the target`);
  return posix.normalize(name);
}

/**
 * Follows a tar archive (ustar, PAX, GNU long names) as it arrives, without holding it, and
 * refuses it before anything is written when an entry could land outside the directory it is
 * extracted into (`destination`, absolute): an absolute name, a `..` part, a hard link to such
 * a name, a symbolic link whose target resolves outside, or a device node; and when it holds
 * more entries or bytes than the limits (ResourceExhausted).
 */
export function createTarChecker(destination: string, limits: TarLimits): TarChecker {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  /** Bytes of entry content (or padding) still to skip before the next header. */
  let skip = 0;
  /** A metadata entry (PAX or GNU long name) whose content is gathered, and how much of it. */
  let metadata: { type: string; size: number } | undefined;
  let overrides: { path?: string; linkpath?: string; size?: number } = {};
  let zeroBlocks = 0;
  let done = false;
  const summary: TarSummary = { entries: 0, bytes: 0 };

  function take(length: number): Buffer | undefined {
    if (pendingBytes < length) return undefined;
    const all = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending);
    const taken = all.subarray(0, length);
    const rest = all.subarray(length);
    pending = rest.length > 0 ? [rest] : [];
    pendingBytes = rest.length;
    return taken;
  }

  function checkLink(type: string, name: string, linkname: string): void {
    if (type === "1") {
      insidePath(linkname, "hard link target");
      return;
    }
    const resolved = linkname.startsWith("/")
      ? posix.relative(destination, posix.normalize(linkname))
      : posix.normalize(posix.join(posix.dirname(name), linkname));
    if (resolved === ".." || resolved.startsWith("../") || resolved.startsWith("/")) {
      throw refused(`symbolic link ${quote(name)} points outside the target (${quote(linkname)})`);
    }
  }

  function header(raw: Buffer): void {
    if (raw.every((byte) => byte === 0)) {
      zeroBlocks++;
      if (zeroBlocks === 2) done = true;
      return;
    }
    if (zeroBlocks > 0) throw refused("an entry follows an empty block");
    if (!checksumOk(raw)) throw refused("a header's checksum is wrong: not a tar archive, or a damaged one");
    const type = String.fromCharCode(raw[156] || 0x30);
    const size = overrides.size ?? numeric(raw, 124, 12, "size");
    const padded = Math.ceil(size / block) * block;
    if (type === "x" || type === "g" || type === "L" || type === "K") {
      if (size > maxMetadataBytes) throw refused(`a metadata header of ${size} bytes is too large`);
      metadata = { type, size };
      skip = padded;
      return;
    }
    const prefix = raw.subarray(257, 262).toString() === "ustar" ? cString(raw, 345, 155) : "";
    const rawName = overrides.path ?? (prefix ? `${prefix}/${cString(raw, 0, 100)}` : cString(raw, 0, 100));
    const linkname = overrides.linkpath ?? cString(raw, 157, 100);
    overrides = {};
    const name = insidePath(rawName, "entry");
    if (type === "3" || type === "4") throw refused(`entry ${quote(rawName)} is a device node: devices are not copied`);
    if (type === "1" || type === "2") checkLink(type, name, linkname);
    summary.entries++;
    if (summary.entries > limits.maxEntries) {
      throw new DockhandError("ResourceExhausted", `tar: more than ${limits.maxEntries} entries (the copy limit)`);
    }
    if (type === "0" || type === "7" || type === "\0") {
      summary.bytes += size;
      if (summary.bytes > limits.maxBytes) {
        throw new DockhandError(
          "ResourceExhausted",
          `tar: more than ${limits.maxBytes} bytes of content (the copy limit)`,
        );
      }
    }
    skip = type === "5" || type === "1" || type === "2" ? 0 : padded;
  }

  function metadataDone(data: Buffer, type: string): void {
    if (type === "L") overrides.path = cString(data, 0, data.length);
    else if (type === "K") overrides.linkpath = cString(data, 0, data.length);
    else if (type === "x") {
      const records = paxRecords(data);
      const path = records.get("path");
      const linkpath = records.get("linkpath");
      const size = records.get("size");
      if (path !== undefined) overrides.path = path;
      if (linkpath !== undefined) overrides.linkpath = linkpath;
      if (size !== undefined) {
        if (!/^\d+$/.test(size)) throw refused(`a PAX size ${quote(size)} is not a number`);
        overrides.size = Number(size);
      }
    }
    // A global header ("g") sets no entry's name: the engine's extraction ignores it too.
  }

  return {
    push(chunk) {
      let rest = chunk;
      while (rest.length > 0 && !done) {
        if (skip > 0 && !metadata) {
          const skipped = Math.min(skip, rest.length);
          skip -= skipped;
          rest = rest.subarray(skipped);
          continue;
        }
        pending.push(rest);
        pendingBytes += rest.length;
        rest = Buffer.alloc(0);
        for (;;) {
          if (metadata) {
            const data = take(skip);
            if (!data) break;
            const { type, size } = metadata;
            metadata = undefined;
            skip = 0;
            metadataDone(data.subarray(0, size), type);
            continue;
          }
          if (skip > 0) {
            rest = take(pendingBytes) ?? Buffer.alloc(0);
            break;
          }
          const raw = take(block);
          if (!raw) break;
          header(raw);
          if (done) break;
        }
      }
    },
    end() {
      // An archive may stop after its last entry without the two empty blocks, as many writers do.
      if (!done && (skip > 0 || metadata || pendingBytes > 0 || Object.keys(overrides).length > 0)) {
        throw refused("the archive ends in the middle of an entry (truncated)");
      }
      return { ...summary };
    },
  };
}
