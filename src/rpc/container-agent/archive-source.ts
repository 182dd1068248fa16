/**
 * LoadImage's archive, sent inline or downloaded from a URL under the server's limits (size,
 * time, which hosts), gunzipped when it is gzip, as one stream for the engine.
 */
import { Readable, pipeline } from "node:stream";
import { createGunzip } from "node:zlib";
import { startDeadline } from "../../lib/deadline.js";
import { DockhandError, invalidArgument } from "../../model/dockhand-error.js";
import { createLoadUrlPolicy, type LoadUrlPolicy } from "./load-url-policy.js";
import { policedGet, type PolicedResponse } from "./policed-get.js";

export interface ArchiveLimits {
  /** Largest archive, counted as received and again after gunzip, in bytes. */
  maxBytes: number;
  /** Longest download, in ms (URL sources only). */
  timeoutMs: number;
  /** Which hosts a download may reach, checked before connecting and after every redirect. Default: any but link-local and metadata addresses. */
  urlPolicy?: LoadUrlPolicy;
}

/** A `docker save` archive, uncompressed, ready to stream into the engine. */
export interface ArchiveSource {
  stream: Readable;
  /** Bytes received so far, before decompression. */
  receivedBytes(): number;
}

const gzipMagic = [0x1f, 0x8b];

function tooLarge(field: string, max: number): DockhandError {
  return new DockhandError("ResourceExhausted", `${field}: the archive is larger than the limit of ${max} bytes`, {
    details: { field, limitBytes: max },
  });
}

async function* limited(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  max: number,
  field: string,
  count?: (n: number) => void,
) {
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    count?.(total);
    if (total > max) throw tooLarge(field, max);
    yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
  }
}

async function* gunzipped(source: AsyncIterable<Buffer>, field: string): AsyncGenerator<Buffer> {
  const gunzip = createGunzip();
  pipeline(Readable.from(source), gunzip, () => undefined);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (err) {
    if (err instanceof DockhandError) throw err;
    throw invalidArgument(field, `the archive starts like gzip but does not decompress: ${(err as Error).message}`);
  }
}

/** Passes the archive through, gunzipping it when its first two bytes are gzip's magic. */
async function* unpacked(source: AsyncIterable<Buffer>, max: number, field: string): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  while (head.length < gzipMagic.length) {
    const next = await iterator.next();
    if (next.done) break;
    head = Buffer.concat([head, next.value]);
  }
  async function* whole(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    yield* { [Symbol.asyncIterator]: () => iterator };
  }
  if (head[0] === gzipMagic[0] && head[1] === gzipMagic[1]) yield* limited(gunzipped(whole(), field), max, field);
  else yield* whole();
}

/** Archive bytes sent in the request itself. */
export function inlineArchive(bytes: Uint8Array, limits: Pick<ArchiveLimits, "maxBytes">): ArchiveSource {
  return {
    stream: Readable.from(unpacked(limited([bytes], Number.MAX_SAFE_INTEGER, "archive"), limits.maxBytes, "archive")),
    receivedBytes: () => bytes.length,
  };
}

const defaultPolicy = createLoadUrlPolicy();

/** Why a download was stopped by dockhand itself, which decides the error's kind. */
type StopReason = "timeout" | "cancelled" | undefined;

function downloadError(err: unknown, url: string, limits: ArchiveLimits, stopped: StopReason): DockhandError {
  if (err instanceof DockhandError) return err;
  if (stopped === "timeout") {
    return new DockhandError("Timeout", `url: downloading ${url} took longer than ${limits.timeoutMs} ms`, {
      cause: err,
      details: { field: "url" },
    });
  }
  if (stopped === "cancelled")
    return new DockhandError("Cancelled", `url: download of ${url} cancelled`, { cause: err });
  const failure = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const reason = failure.code ?? failure.cause?.code ?? failure.cause?.message ?? failure.message ?? String(err);
  return new DockhandError("Unavailable", `url: downloading ${url} failed: ${reason}`, {
    cause: err,
    details: { field: "url" },
  });
}

async function* guarded(source: AsyncIterable<Uint8Array>, toError: (err: unknown) => DockhandError) {
  try {
    yield* source;
  } catch (err) {
    throw toError(err);
  }
}

/**
 * Downloads an archive from an http(s) URL (already validated). Fails before reading the body
 * when the server answers other than 200 (404/410: NotFound) or announces a size over the
 * limit; stops the download as soon as the received bytes exceed it, at the deadline, when the
 * call is cancelled, and when the returned stream is closed.
 */
export async function downloadArchive(
  url: string,
  limits: ArchiveLimits,
  signal?: AbortSignal,
): Promise<ArchiveSource> {
  const deadline = startDeadline(limits.timeoutMs, signal);
  const stopped = (): StopReason => (deadline.expired ? "timeout" : signal?.aborted ? "cancelled" : undefined);
  const finish = () => deadline.abort();
  const toError = (err: unknown) => downloadError(err, url, limits, stopped());

  let response: PolicedResponse;
  try {
    response = await policedGet(url, { policy: limits.urlPolicy ?? defaultPolicy, signal: deadline.signal });
  } catch (err) {
    finish();
    throw toError(err);
  }
  const fail = (error: DockhandError): never => {
    finish();
    throw error;
  };
  if (response.status !== 200 || !response.body) {
    const kind = response.status === 404 || response.status === 410 ? "NotFound" : "FailedPrecondition";
    fail(
      new DockhandError(kind, `url: ${url} answered ${response.status} ${response.statusText}`.trim(), {
        details: { field: "url", httpStatus: response.status },
      }),
    );
  }
  if ((response.contentLength ?? 0) > limits.maxBytes) fail(tooLarge("url", limits.maxBytes));
  let received = 0;
  const body = guarded(response.body, toError);
  const stream = Readable.from(
    unpacked(
      limited(body, limits.maxBytes, "url", (n) => (received = n)),
      limits.maxBytes,
      "url",
    ),
  );
  stream.once("close", finish);
  return { stream, receivedBytes: () => received };
}
