import {
  fromBinary,
  toBinary,
  type DescMethodBiDiStreaming,
  type DescMessage,
  type MessageShape,
} from "@bufbuild/protobuf";
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import type { WebSocket } from "ws";
import { createWakeup } from "../lib/wakeup.js";

/** How long a WebSocket session may last. */
export interface WebSocketSessionLimits {
  /** A session with no message either way for this long is ended, in ms. */
  idleTimeoutMs: number;
  /** A session is ended this long after it opened, whatever it does, in ms. */
  maxSessionMs: number;
}

/** Close code of a call that ended OK; one that failed closes with 4000 + its gRPC code. */
export const closeOk = 1000;

/** The close code that carries a gRPC code (4003 INVALID_ARGUMENT, 4007 PERMISSION_DENIED, ...). */
export function closeCodeOf(code: Code): number {
  return 4000 + code;
}

/** A close frame's reason holds at most 123 bytes of UTF-8: the message, cut on a character. */
export function closeReason(message: string): string {
  let reason = message;
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -2) + "…";
  return reason;
}

/** Client messages held before the socket stops being read. */
const inputHighWater = 16;
/** Bytes the socket may hold unsent before the next answer waits for them to leave. */
const outputHighWater = 256 * 1024;
/** Pings keep proxies from dropping a quiet session; a peer that misses one is gone. */
const pingIntervalMs = 30_000;

/**
 * Runs one bidi call over an open WebSocket: each binary frame from the client is one request
 * message of `method`, decoded and handed to `transport`; each answer goes back as one binary
 * frame. The socket closes with 1000 after the last answer, or with 4000 + the gRPC code and
 * the message as reason when the call fails. A client that closes the socket cancels the call.
 * Neither side buffers without bound: the socket is paused while requests wait, and the next
 * answer is read only once the socket has taken the last.
 */
export async function runWebSocketSession<I extends DescMessage, O extends DescMessage>(
  ws: WebSocket,
  method: DescMethodBiDiStreaming<I, O>,
  transport: Transport,
  header: Headers,
  limits: WebSocketSessionLimits,
): Promise<void> {
  const controller = new AbortController();
  const wakeup = createWakeup(controller.signal);
  const queued: Array<MessageShape<I>> = [];
  let received = 0;

  const end = (code: number, reason: string) => {
    if (ws.readyState === ws.OPEN) ws.close(code, closeReason(reason));
    controller.abort(new ConnectError(reason, Code.Canceled));
  };
  const fail = (code: Code, message: string) => end(closeCodeOf(code), message);

  let idle: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(idle);
    idle = setTimeout(
      () => fail(Code.DeadlineExceeded, `session idle for ${limits.idleTimeoutMs / 1000} s`),
      limits.idleTimeoutMs,
    );
  };
  const total = setTimeout(
    () => fail(Code.DeadlineExceeded, `session reached its limit of ${limits.maxSessionMs / 1000} s`),
    limits.maxSessionMs,
  );
  let alive = true;
  const pinger = setInterval(() => {
    if (!alive) return ws.terminate();
    alive = false;
    ws.ping();
  }, pingIntervalMs);
  ws.on("pong", () => (alive = true));
  touch();

  ws.on("message", (data: Buffer, isBinary: boolean) => {
    received++;
    touch();
    if (!isBinary) return fail(Code.InvalidArgument, "frames must be binary: one protobuf message each");
    try {
      queued.push(fromBinary(method.input, data));
    } catch {
      return fail(Code.InvalidArgument, `frame ${received} is not a ${method.input.typeName} message`);
    }
    if (queued.length >= inputHighWater) ws.pause();
    wakeup.notify();
  });
  ws.on("close", () => controller.abort(new ConnectError("the WebSocket closed", Code.Canceled)));
  ws.on("error", () => controller.abort(new ConnectError("the WebSocket failed", Code.Canceled)));

  async function* requests(): AsyncIterable<MessageShape<I>> {
    while (!controller.signal.aborted) {
      const next = queued.shift();
      if (next === undefined) {
        await wakeup.next();
        continue;
      }
      if (ws.isPaused && queued.length < inputHighWater / 2) ws.resume();
      yield next;
    }
  }

  const send = (bytes: Uint8Array) =>
    new Promise<void>((resolve, reject) => ws.send(bytes, { binary: true }, (err) => (err ? reject(err) : resolve())));

  try {
    const res = await transport.stream(method, controller.signal, undefined, header, requests());
    for await (const message of res.message) {
      touch();
      const sent = send(toBinary(method.output, message));
      if (ws.bufferedAmount > outputHighWater) await sent;
      else sent.catch(() => undefined);
    }
    end(closeOk, "");
  } catch (err) {
    if (!controller.signal.aborted) {
      const error = ConnectError.from(err);
      fail(error.code, error.rawMessage);
    }
  } finally {
    clearTimeout(idle);
    clearTimeout(total);
    clearInterval(pinger);
    wakeup.close();
    controller.abort();
  }
}
