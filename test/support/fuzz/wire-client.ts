import http2 from "node:http2";
import { gzipSync } from "node:zlib";
import type { DescMethod } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";

export type Protocol = "grpc" | "connect";

export interface CallResult {
  /** The status the server answered; undefined when the read window ended first (a stream left open). */
  code: Code | "ok" | undefined;
  message: string;
  /** Response messages read before the status (or before the window ended). */
  messages: number;
  /** Set when no well-formed answer came: a reset stream, a malformed error body... */
  broken?: string;
}

export interface CallOptions {
  protocol: Protocol;
  /** `/package.Service/Method` */
  path: string;
  binary: boolean;
  streaming: boolean;
  body: Uint8Array;
  /** How the body is framed where the protocol frames it (gRPC, Connect streams). Default "normal". */
  framing?: Framing;
  /** The deadline sent to the server. */
  timeoutMs: number;
  /** A stream is read this long (or `maxMessages`) and then cancelled. */
  windowMs: number;
  maxMessages: number;
}

const connectCodes = new Map<string, Code>(
  Object.entries(Code)
    .filter(([, v]) => typeof v === "number")
    .map(([name, v]) => [name.replace(/[A-Z]/g, (c, i: number) => (i ? "_" : "") + c.toLowerCase()), v as Code]),
);
// Connect's spelling differs from the enum's for one code.
connectCodes.set("canceled", Code.Canceled);

/**
 * Broken framings: a compressed flag with no compression, a length that promises more or less
 * than follows, two messages where one is expected, the end-of-stream flag on a request.
 */
export type Framing =
  | "normal"
  | "compressed-flag"
  | "length-short"
  | "length-long"
  | "two-messages"
  | "end-flag"
  | "gzip"
  | "gzip-truncated"
  | "gzip-garbage";

export const framings: readonly Framing[] = [
  "normal",
  "compressed-flag",
  "length-short",
  "length-long",
  "two-messages",
  "end-flag",
  "gzip",
  "gzip-truncated",
  "gzip-garbage",
];

/** The body as gzip says it is: compressed, cut short, or not gzip at all. */
function gzipped(framing: Framing, data: Uint8Array): Uint8Array {
  const zipped = gzipSync(data);
  if (framing === "gzip-truncated") return zipped.subarray(0, Math.max(1, zipped.length - 6));
  if (framing === "gzip-garbage") return Uint8Array.from(data, (b) => b ^ 0x5a);
  return zipped;
}

const isGzip = (framing: Framing | undefined) => framing?.startsWith("gzip") ?? false;

function frame(framing: Framing, data: Uint8Array): Buffer {
  if (isGzip(framing)) return envelope(1, gzipped(framing, data));
  switch (framing) {
    case "compressed-flag":
      return envelope(1, data);
    case "end-flag":
      return envelope(2, data);
    case "two-messages":
      return Buffer.concat([envelope(0, data), envelope(0, data)]);
    case "length-short": {
      const out = envelope(0, data);
      out.writeUInt32BE(Math.max(0, data.length - 1), 1);
      return out;
    }
    case "length-long": {
      const out = envelope(0, data);
      out.writeUInt32BE(data.length + 100, 1);
      return out;
    }
    default:
      return envelope(0, data);
  }
}

function envelope(flags: number, data: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + data.length);
  out[0] = flags;
  out.writeUInt32BE(data.length, 1);
  out.set(data, 5);
  return out;
}

/** Splits complete frames off the front of `buffer`; returns them and what is left. */
function frames(buffer: Buffer): { frames: Array<{ flags: number; data: Buffer }>; rest: Buffer } {
  const found: Array<{ flags: number; data: Buffer }> = [];
  let at = 0;
  while (buffer.length - at >= 5) {
    const length = buffer.readUInt32BE(at + 1);
    if (buffer.length - at - 5 < length) break;
    found.push({ flags: buffer[at]!, data: buffer.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return { frames: found, rest: buffer.subarray(at) };
}

/** Sends raw request bytes to dockhand over gRPC (HTTP/2) or Connect (HTTP/1.1), reading a bounded answer. */
export function createWireClient(baseUrl: string) {
  let session: http2.ClientHttp2Session | undefined;
  const h2 = () => {
    if (!session || session.closed || session.destroyed) {
      session = http2.connect(baseUrl);
      session.on("error", () => undefined);
    }
    return session;
  };

  function grpc(options: CallOptions): Promise<CallResult> {
    return new Promise((resolve) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = h2().request({
          ":method": "POST",
          ":path": options.path,
          "content-type": options.binary ? "application/grpc" : "application/grpc+json",
          te: "trailers",
          "grpc-timeout": `${options.timeoutMs}m`,
          ...(isGzip(options.framing) ? { "grpc-encoding": "gzip" } : {}),
        });
      } catch (err) {
        session?.destroy();
        resolve({ code: undefined, message: "", messages: 0, broken: `request failed: ${(err as Error).message}` });
        return;
      }
      let headers: http2.IncomingHttpHeaders = {};
      let pending: Buffer = Buffer.alloc(0);
      let messages = 0;
      let done = false;
      const finish = (result: CallResult) => {
        if (done) return;
        done = true;
        clearTimeout(window);
        if (!stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
        resolve(result);
      };
      const window = setTimeout(
        () => finish({ code: undefined, message: "", messages }),
        options.streaming ? options.windowMs : options.timeoutMs + 5000,
      );
      stream.on("response", (h) => (headers = h));
      stream.on("trailers", (t) => (headers = { ...headers, ...t }));
      stream.on("data", (chunk: Buffer) => {
        const split = frames(Buffer.concat([pending, chunk]));
        pending = split.rest;
        messages += split.frames.length;
        if (options.streaming && messages >= options.maxMessages) finish({ code: undefined, message: "", messages });
      });
      stream.on("end", () => {
        const status = headers["grpc-status"];
        if (status === undefined)
          return finish({
            code: undefined,
            message: "",
            messages,
            broken: `no grpc-status (HTTP ${headers[":status"]})`,
          });
        const code = Number(status);
        finish({
          code: code === 0 ? "ok" : (code as Code),
          message: decodeURIComponent(String(headers["grpc-message"] ?? "")),
          messages,
        });
      });
      stream.on("error", (err) =>
        finish({ code: undefined, message: "", messages, broken: `stream error: ${err.message}` }),
      );
      stream.end(frame(options.framing ?? "normal", options.body));
    });
  }

  async function connect(options: CallOptions): Promise<CallResult> {
    const controller = new AbortController();
    const window = setTimeout(
      () => controller.abort(),
      options.streaming ? options.windowMs : options.timeoutMs + 5000,
    );
    const contentType = options.streaming
      ? options.binary
        ? "application/connect+proto"
        : "application/connect+json"
      : options.binary
        ? "application/proto"
        : "application/json";
    let messages = 0;
    try {
      const res = await fetch(`${baseUrl}${options.path}`, {
        method: "POST",
        headers: {
          "content-type": contentType,
          "connect-timeout-ms": String(options.timeoutMs),
          "connect-protocol-version": "1",
          ...(isGzip(options.framing)
            ? { [options.streaming ? "connect-content-encoding" : "content-encoding"]: "gzip" }
            : {}),
        },
        body: options.streaming
          ? frame(options.framing ?? "normal", options.body)
          : isGzip(options.framing)
            ? gzipped(options.framing!, options.body)
            : options.body,
        signal: controller.signal,
      });
      if (!options.streaming) {
        const text = await res.text();
        if (res.status === 200) return { code: "ok", message: "", messages: 1 };
        return parseError(text, messages, res.status);
      }
      if (res.status !== 200) return parseError(await res.text(), messages, res.status);
      let pending: Buffer = Buffer.alloc(0);
      const reader = res.body!.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done)
          return { code: undefined, message: "", messages, broken: "stream ended without an end-stream message" };
        const split = frames(Buffer.concat([pending, Buffer.from(value)]));
        pending = split.rest;
        for (const frame of split.frames) {
          if (frame.flags & 2) {
            const end = JSON.parse(frame.data.toString()) as { error?: { code?: string; message?: string } };
            if (!end.error) return { code: "ok", message: "", messages };
            return toResult(end.error, messages);
          }
          messages++;
        }
        if (messages >= options.maxMessages) {
          controller.abort();
          return { code: undefined, message: "", messages };
        }
      }
    } catch (err) {
      if (controller.signal.aborted) return { code: undefined, message: "", messages };
      return { code: undefined, message: "", messages, broken: `request failed: ${(err as Error).message}` };
    } finally {
      clearTimeout(window);
    }
  }

  function parseError(text: string, messages: number, status: number): CallResult {
    try {
      return toResult(JSON.parse(text) as { code?: string; message?: string }, messages);
    } catch {
      return {
        code: undefined,
        message: "",
        messages,
        broken: `HTTP ${status} with a body that is not a Connect error: ${text.slice(0, 100)}`,
      };
    }
  }

  function toResult(error: { code?: string; message?: string }, messages: number): CallResult {
    const code = connectCodes.get(error.code ?? "");
    if (code === undefined)
      return { code: undefined, message: error.message ?? "", messages, broken: `unknown Connect code ${error.code}` };
    return { code, message: error.message ?? "", messages };
  }

  return {
    call: (options: CallOptions) => (options.protocol === "grpc" ? grpc(options) : connect(options)),
    close: () => session?.close(),
  };
}

export type WireClient = ReturnType<typeof createWireClient>;

/** Calls one RPC of the contract: its path and whether it streams come from the method. */
export function callMethod(
  client: ReturnType<typeof createWireClient>,
  method: DescMethod,
  options: Omit<CallOptions, "path" | "streaming">,
): Promise<CallResult> {
  return client.call({
    ...options,
    path: `/${method.parent.typeName}/${method.name}`,
    streaming: method.methodKind !== "unary",
  });
}

/** How an answer is counted: the code's name, "ok", "broken" (no well-formed answer) or "open" (a stream still open). */
export function answerName(result: CallResult): string {
  return result.code === undefined
    ? result.broken
      ? "broken"
      : "open"
    : result.code === "ok"
      ? "ok"
      : Code[result.code];
}
