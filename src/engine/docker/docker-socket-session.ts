/** One hijacked engine connection as a session's stdin and output, and the polling of its end. */
import type { Duplex } from "node:stream";
import { DockhandError } from "../../model/dockhand-error.js";
import { sleep } from "../../lib/sleep.js";
import type { OutputChunk } from "../container-interactive.js";
import { createFrameDemuxer, type OutputFrame } from "../frame-demuxer.js";
import { toEngineError } from "./docker-errors.js";

/** How often to ask whether a process whose output ended has exited. */
export const exitPollMs = 50;

/** Asks `inspect` until the process no longer runs; its last answer's value. */
export async function pollUntilStopped<T>(
  inspect: (signal: AbortSignal | undefined) => Promise<{ running: boolean; value: T }>,
  signal?: AbortSignal,
): Promise<T> {
  for (;;) {
    const state = await inspect(signal);
    if (!state.running) return state.value;
    await sleep(exitPollMs, signal);
  }
}

/** Ctrl-D: a terminal's end of file at the start of a line. */
const endOfFileKey = Buffer.from([0x04]);

/** Consecutive frames of one stream in one read become one chunk. */
function* merged(frames: OutputFrame[], operation: string): Generator<OutputChunk> {
  let run: OutputFrame[] = [];
  function* flush(): Generator<OutputChunk> {
    const first = run[0];
    if (!first) return;
    const data = run.length === 1 ? first.data : Buffer.concat(run.map((f) => f.data));
    yield { stream: first.stream as OutputChunk["stream"], data };
    run = [];
  }
  for (const frame of frames) {
    if (frame.stream === "error") throw new DockhandError("Internal", `${operation}: ${frame.data.toString().trim()}`);
    if (run[0] && run[0].stream !== frame.stream) yield* flush();
    run.push(frame);
  }
  yield* flush();
}

export interface SocketSession {
  output: AsyncIterable<OutputChunk>;
  write(data: Buffer): Promise<void>;
  closeStdin(): void;
  /** Destroys the connection; the output then ends quietly. */
  destroy(): void;
  /** Resolves when the connection has closed, whoever closed it. */
  closed: Promise<void>;
}

/** Output and stdin over one hijacked connection, at the pace of each side. */
export function socketSession(socket: Duplex, tty: boolean, operation: string): SocketSession {
  let stdinClosed = false;
  let destroyedHere = false;
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  // An error after the end is reported by the reader; an idle one must not crash the process.
  socket.on("error", () => undefined);
  async function* output(): AsyncGenerator<OutputChunk> {
    const demuxer = tty ? undefined : createFrameDemuxer();
    try {
      for await (const chunk of socket as AsyncIterable<Buffer>) {
        if (demuxer) yield* merged(demuxer.push(chunk), operation);
        else yield { stream: "stdout", data: chunk };
      }
    } catch (err) {
      if (destroyedHere) return;
      throw toEngineError(err, operation);
    }
  }
  return {
    output: output(),
    write: (data) =>
      new Promise((resolve, reject) => {
        if (stdinClosed || socket.writableEnded || socket.destroyed) {
          reject(new DockhandError("FailedPrecondition", `${operation}: stdin is closed`));
          return;
        }
        socket.write(data, (err) => (err ? reject(toEngineError(err, operation)) : resolve()));
      }),
    closeStdin: () => {
      if (stdinClosed || socket.writableEnded || socket.destroyed) return;
      stdinClosed = true;
      // The engine closes a terminal's output along with its stdin, so a terminal gets the
      // end-of-file key instead, as a person would type it; a pipe is half-closed.
      if (tty) socket.write(endOfFileKey);
      else socket.end();
    },
    destroy: () => {
      destroyedHere = true;
      socket.destroy();
    },
    closed,
  };
}
