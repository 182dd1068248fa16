/**
 * ContainerAgent's copies: CopyToContainer (one request) and CopyToContainerStream (spooled on
 * dockhand's disk, never in memory), checked whole before anything is written, and
 * CopyFromContainer (streamed at the client's pace) and CopyFromContainerUnary.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { posix, join } from "node:path";
import { finished } from "node:stream/promises";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { Engine } from "../../engine/engine.js";
import type { PathStat } from "../../engine/container-interactive.js";
import { createTarChecker, type TarLimits, type TarSummary } from "../../engine/tar-checker.js";
import { rechunk, tarFileContent } from "../../engine/tar-file-reader.js";
import { tarEnd, tarFileHeader, tarPadding } from "../../engine/tar-writer.js";
import { readAhead } from "../../lib/read-ahead.js";
import { DockhandError, invalidArgument } from "../../model/dockhand-error.js";
import { quote } from "../../model/quote.js";
import { CopyFormat, type CopyToContainerStreamRequest } from "../../../gen/dockhand/v1/agent_interactive_pb.js";
import type { ContainerAgent } from "../../../gen/dockhand/v1/container_agent_pb.js";
import { checkContainerRef } from "./container-refs.js";

export interface CopyLimits {
  /** Most file content one copy into a container writes, in bytes. */
  copyMaxBytes: number;
  /** Most entries one copy into a container holds. */
  copyMaxEntries: number;
  /** Largest message: the most CopyFromContainerUnary answers (less its framing). */
  maxMessageBytes: number;
}

/** The engine's answer read ahead of the client, so that reads and writes overlap. */
const readAheadBytes = 1024 * 1024;

/** Room left in a unary answer for its stat and framing. */
const unaryFraming = 64 * 1024;

/** An absolute container path; for writing, without any `..` part. */
function checkPath(path: string, field: string, forWriting: boolean): string {
  if (path === "") throw invalidArgument(field, "is required");
  if (path.includes("\0")) throw invalidArgument(field, "must not contain NUL");
  if (!path.startsWith("/")) throw invalidArgument(field, `must be an absolute path (got ${quote(path)})`);
  if (forWriting && path.split("/").includes("..")) {
    throw invalidArgument(field, `must not have a '..' part (got ${quote(path)})`);
  }
  return posix.normalize(path);
}

function checkMode(mode: number, field: string): number {
  if (mode > 0o7777) throw invalidArgument(field, `must be permission bits, at most 0o7777 (got ${mode})`);
  return mode === 0 ? 0o644 : mode;
}

/** Where one file goes: its directory, and its name as the tar entry. */
function fileTarget(path: string, field: string): { directory: string; name: string } {
  const name = posix.basename(path);
  if (path === "/" || name === "") throw invalidArgument(field, "must name a file, not /");
  if (Buffer.byteLength(name) > 100) throw invalidArgument(field, "the file's name is longer than 100 bytes");
  return { directory: posix.dirname(path), name };
}

function checkFormat(format: CopyFormat, field: string, required: boolean): CopyFormat {
  if (format === CopyFormat.UNSPECIFIED && required)
    throw invalidArgument(field, "is required: COPY_FORMAT_TAR or COPY_FORMAT_FILE");
  if (!(format in CopyFormat)) throw invalidArgument(field, `${format} is not a value of CopyFormat`);
  return format;
}

function tooLarge(limits: TarLimits): DockhandError {
  return new DockhandError("ResourceExhausted", `file: more than ${limits.maxBytes} bytes (the copy limit)`);
}

function statToProto(stat: PathStat) {
  return {
    name: stat.name,
    sizeBytes: BigInt(stat.size),
    mode: stat.mode,
    directory: stat.directory,
    linkTarget: stat.linkTarget,
  };
}

/** Refuses FILE for anything but a regular file, before any content is read. */
function checkRegular(stat: PathStat, path: string): void {
  if (stat.regular) return;
  const what = stat.directory ? "a directory" : stat.linkTarget ? "a symbolic link" : "not a regular file";
  throw new DockhandError("FailedPrecondition", `path: ${quote(path)} is ${what}: copy it as a tar (COPY_FORMAT_TAR)`);
}

type CopyMethods = Pick<
  ServiceImpl<typeof ContainerAgent>,
  "copyToContainer" | "copyToContainerStream" | "copyFromContainer" | "copyFromContainerUnary"
>;

export function createContainerCopyMethods(engine: Engine, limits: CopyLimits): CopyMethods {
  const tarLimits: TarLimits = { maxBytes: limits.copyMaxBytes, maxEntries: limits.copyMaxEntries };

  /** A file as a one-entry tar: header, content, padding, end. */
  async function* fileAsTar(name: string, mode: number, size: number, content: AsyncIterable<Buffer>) {
    yield tarFileHeader({ path: name, mode, uid: 0, gid: 0 }, size);
    yield* content;
    yield tarPadding(size);
    yield tarEnd;
  }

  /** Receives the streamed content onto disk, checking it as it comes; the spool file and what it holds. */
  async function spool(
    requests: AsyncIterator<CopyToContainerStreamRequest>,
    file: string,
    format: CopyFormat,
    directory: string,
  ): Promise<TarSummary> {
    const checker = format === CopyFormat.TAR ? createTarChecker(directory, tarLimits) : undefined;
    const out = createWriteStream(file, { flags: "wx" });
    let bytes = 0;
    try {
      for (;;) {
        const next = await requests.next();
        if (next.done) break;
        const item = next.value.item;
        if (item.case === "open") throw invalidArgument("open", "was already sent: send chunks after it");
        if (item.case !== "chunk") throw invalidArgument("item", "is required: chunk");
        const chunk = Buffer.from(item.value.buffer, item.value.byteOffset, item.value.byteLength);
        bytes += chunk.length;
        if (checker) checker.push(chunk);
        else if (bytes > tarLimits.maxBytes) throw tooLarge(tarLimits);
        if (!out.write(chunk)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
      }
      out.end();
      await finished(out);
      return checker ? checker.end() : { entries: 1, bytes };
    } catch (err) {
      out.destroy();
      throw err;
    }
  }

  return {
    async copyToContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      const path = checkPath(req.path, "path", true);
      const mode = checkMode(req.mode, "mode");
      const { content } = req;
      if (content.case === undefined) throw invalidArgument("content", "is required: tar or file");
      if (content.case === "tar") {
        const checker = createTarChecker(path, tarLimits);
        const tar = Buffer.from(content.value.buffer, content.value.byteOffset, content.value.byteLength);
        checker.push(tar);
        const summary = checker.end();
        await engine.containers.putArchive(id, path, tar, ctx.signal);
        return { entries: summary.entries, sizeBytes: BigInt(summary.bytes) };
      }
      const { directory, name } = fileTarget(path, "path");
      const data = Buffer.from(content.value.buffer, content.value.byteOffset, content.value.byteLength);
      if (data.length > tarLimits.maxBytes) throw tooLarge(tarLimits);
      const tar = Buffer.concat([
        tarFileHeader({ path: name, mode, uid: 0, gid: 0 }, data.length),
        data,
        tarPadding(data.length),
        tarEnd,
      ]);
      await engine.containers.putArchive(id, directory, tar, ctx.signal);
      return { entries: 1, sizeBytes: BigInt(data.length) };
    },

    async copyToContainerStream(requests, ctx) {
      const iterator = requests[Symbol.asyncIterator]();
      const first = await iterator.next();
      if (first.done) throw invalidArgument("open", "the request stream ended before open");
      if (first.value.item.case !== "open")
        throw invalidArgument("chunk", "sent before open: the first message must be open");
      const open = first.value.item.value;
      const id = checkContainerRef(open.id, "open.id");
      const path = checkPath(open.path, "open.path", true);
      const format = checkFormat(open.format, "open.format", true);
      const mode = checkMode(open.mode, "open.mode");
      const target = format === CopyFormat.FILE ? fileTarget(path, "open.path") : { directory: path, name: "" };
      const dir = await mkdtemp(join(tmpdir(), "dockhand-copy-"));
      try {
        const file = join(dir, "content");
        const summary = await spool(iterator, file, format, path);
        const content = createReadStream(file) as AsyncIterable<Buffer>;
        const tar = format === CopyFormat.FILE ? fileAsTar(target.name, mode, summary.bytes, content) : content;
        await engine.containers.putArchive(id, target.directory, tar, ctx.signal);
        return { entries: summary.entries, sizeBytes: BigInt(summary.bytes) };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },

    async *copyFromContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      const path = checkPath(req.path, "path", false);
      const format = checkFormat(req.format, "format", false);
      const read = await engine.containers.getArchive(id, path, ctx.signal);
      // Closed when the call ends however it ends: the engine's answer is never left open.
      try {
        if (format === CopyFormat.FILE) checkRegular(read.stat, req.path);
        yield { item: { case: "stat", value: statToProto(read.stat) } };
        const tar = readAhead(read.tar, (chunk) => chunk.length, readAheadBytes);
        const chunks = format === CopyFormat.FILE ? tarFileContent(tar) : rechunk(tar);
        for await (const chunk of chunks) yield { item: { case: "chunk", value: chunk } };
      } finally {
        read.close();
      }
    },

    async copyFromContainerUnary(req, ctx: HandlerContext) {
      const id = checkContainerRef(req.id);
      const path = checkPath(req.path, "path", false);
      const format = checkFormat(req.format, "format", false);
      const most = Math.max(0, limits.maxMessageBytes - unaryFraming);
      const refuse = () =>
        new DockhandError(
          "ResourceExhausted",
          `path: ${quote(req.path)} is more than ${most} bytes, too large for one answer: use CopyFromContainer`,
        );
      const read = await engine.containers.getArchive(id, path, ctx.signal);
      try {
        if (format === CopyFormat.FILE) {
          checkRegular(read.stat, req.path);
          if (read.stat.size > most) throw refuse();
        }
        const parts: Buffer[] = [];
        let size = 0;
        for await (const chunk of format === CopyFormat.FILE ? tarFileContent(read.tar) : read.tar) {
          size += chunk.length;
          if (size > most) throw refuse();
          parts.push(chunk);
        }
        return { stat: statToProto(read.stat), content: Buffer.concat(parts) };
      } finally {
        read.close();
      }
    },
  };
}
