/**
 * What ExecSession and Attach share: the first message, the checks of sizes and signals, and the
 * relay of a session's output while its input is pumped. Each side goes at its reader's pace:
 * output is read from the engine only as fast as the client takes it (with a small read-ahead),
 * and the client's next message is read only once its stdin bytes are on the engine's socket.
 */
import type { Logger } from "pino";
import type { Engine } from "../../engine/engine.js";
import type { InteractiveSession, OutputChunk, TerminalSize } from "../../engine/container-interactive.js";
import { invalidArgument, isDockhandError } from "../../model/dockhand-error.js";
import { normalizeSignal } from "../../model/linux-names.js";
import { quote } from "../../model/quote.js";
import { readAhead } from "../../lib/read-ahead.js";
import { OutputStream } from "../../../gen/dockhand/v1/agent_streams_pb.js";
import type { SendSignal } from "../../../gen/dockhand/v1/agent_interactive_pb.js";

const readAheadBytes = 256 * 1024;

/** Largest terminal side accepted, in cells. */
const maxTerminalSide = 10_000;

const snakeNames: Record<string, string> = { closeStdin: "close_stdin" };

export function checkTerminalSize(size: TerminalSize, field: string): TerminalSize {
  for (const side of ["rows", "columns"] as const) {
    const value = size[side];
    if (value < 1 || value > maxTerminalSide) {
      throw invalidArgument(`${field}.${side}`, `must be from 1 to ${maxTerminalSide} (got ${value})`);
    }
  }
  return { rows: size.rows, columns: size.columns };
}

export function signalOf(message: SendSignal): string {
  const signal = normalizeSignal(message.signal);
  if (!signal) {
    throw invalidArgument(
      "signal.signal",
      `${quote(message.signal)} is not a Linux signal (a name such as SIGINT or HUP, or a number from 1 to 64)`,
    );
  }
  return signal;
}

/** The first message, which must be `open`. */
export async function openOf<M extends { item: { case: string | undefined; value?: unknown } }, O>(
  iterator: AsyncIterator<M>,
): Promise<O> {
  const first = await iterator.next();
  if (first.done) throw invalidArgument("open", "the request stream ended before the session was opened");
  const item = first.value.item;
  if (item.case !== "open") {
    const field = item.case === undefined ? "item" : (snakeNames[item.case] ?? item.case);
    throw invalidArgument(field, "sent before open: the first message must open the session");
  }
  return item.value as O;
}

export function bytes(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export function outputMessage(chunk: OutputChunk) {
  const stream = chunk.stream === "stderr" ? OutputStream.STDERR : OutputStream.STDOUT;
  return { case: "output" as const, value: { stream, data: chunk.data } };
}

/**
 * The session's output while `pump` feeds it the client's messages. A pump that fails (a bad
 * message) closes the session, and its error is thrown once the output has stopped.
 */
export async function* relay(session: InteractiveSession, pump: Promise<void>): AsyncGenerator<OutputChunk> {
  let failure: { err: unknown } | undefined;
  pump.catch((err: unknown) => {
    failure = { err };
    void session.close();
  });
  for await (const chunk of readAhead(session.output, (c) => c.data.length, readAheadBytes)) yield chunk;
  if (failure) throw failure.err;
}

/** A resize that loses a race with the end of the process changes nothing; a bad size is the client's. */
export async function resizeQuietly(session: InteractiveSession, size: TerminalSize): Promise<void> {
  await session.resize(size).catch((err: unknown) => {
    if (isDockhandError(err, "InvalidArgument")) throw err;
  });
}

export interface InteractiveSessionDeps {
  engine: Engine;
  /** Where the open and close lines of each session go. */
  audit: Pick<Logger, "info">;
}
