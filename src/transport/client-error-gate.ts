import type { DescMessage } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import { boundMessage } from "../model/quote.js";

/**
 * The `internal` errors that connect-es and connect-node raise for what only a request can
 * cause, by their words, and how dockhand says them instead.
 */
const clientCaused: ReadonlyArray<{ raised: (message: string) => boolean; said: (message: string) => string }> = [
  {
    // createBinarySerialization: bytes that are not protobuf, JSON labelled application/proto.
    raised: (m) => m.startsWith("parse binary: "),
    said: (m) => `request: not a valid protobuf message of this method (${m.slice("parse binary: ".length)})`,
  },
  {
    // envelopeDecompress (whose own comment says it raises InvalidArgument).
    raised: (m) => m === "received compressed envelope, but do not know how to decompress",
    said: () =>
      "request: a message is flagged compressed, but the call names no compression (grpc-encoding or connect-content-encoding)",
  },
  {
    // connect-node's gunzip of a request cut short.
    raised: (m) => m === "decompression failed",
    said: () => "request: the compressed message is cut short or corrupt",
  },
];

/**
 * Corrects, before it is written, the error of a call that failed inside connect-es itself:
 * - a request that does not decode (bad bytes on gRPC, JSON labelled `application/proto`, a
 *   message flagged compressed on a call that named no compression, gzip cut short) is
 *   answered `internal` by connect-es, but the client sent it, so it is INVALID_ARGUMENT;
 * - such errors quote the input (an unknown JSON key, a wrong value), so their message is bounded.
 * No interceptor can do it: a unary request is decoded before interceptors run. Every protocol
 * handler aborts the call's context with the error just before writing it, so this gate, which
 * every call passes before its body is read, corrects it there.
 */
export function clientErrorGate(context: HandlerContext): void {
  const { signal } = context;
  signal.addEventListener(
    "abort",
    () => {
      const err: unknown = signal.reason;
      if (err instanceof ConnectError) correctClientCaused(err, context.method.input);
    },
    { once: true },
  );
}

/** Old names of fields that clients of the seeds send, and the field they mean now. */
const oldNames: Readonly<Record<string, string>> = {
  number: "replicas",
  count: "replicas",
  instances: "replicas",
  service: "name",
};

/** Edits (insert, delete, substitute) between two short names. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length]!;
}

/**
 * "did you mean" for an unknown JSON key: the field an old name stands for, or the field whose
 * name is within two edits of it (`replcias`, `replica`), when the message has one.
 */
export function didYouMean(unknownKey: string, message: DescMessage | undefined): string | undefined {
  if (!message) return undefined;
  const names = message.fields.map((f) => f.jsonName);
  const old = oldNames[unknownKey];
  if (old && names.includes(old)) return old;
  const close = names
    .map((name) => ({ name, edits: distance(unknownKey.toLowerCase(), name.toLowerCase()) }))
    .filter((c) => c.edits <= 2 && c.edits < unknownKey.length)
    .sort((a, b) => a.edits - b.edits)[0];
  return close?.name;
}

/** Rewrites, in place, a client-caused `internal` error as INVALID_ARGUMENT, its message bounded. */
export function correctClientCaused(err: ConnectError, input?: DescMessage): void {
  const writable = err as { code: Code; rawMessage: string; message: string };
  let code = err.code;
  let rawMessage = err.rawMessage;
  const known = code === Code.Internal ? clientCaused.find((c) => c.raised(rawMessage)) : undefined;
  if (known) {
    code = Code.InvalidArgument;
    rawMessage = known.said(rawMessage);
  }
  const unknownKey = code === Code.InvalidArgument ? /key "([^"]{1,64})" is unknown/.exec(rawMessage)?.[1] : undefined;
  const meant = unknownKey === undefined ? undefined : didYouMean(unknownKey, input);
  if (meant) rawMessage = `${rawMessage} (did you mean "${meant}"?)`;
  rawMessage = boundMessage(rawMessage);
  if (code === err.code && rawMessage === err.rawMessage) return;
  writable.code = code;
  writable.rawMessage = rawMessage;
  writable.message = new ConnectError(rawMessage, code).message;
}
