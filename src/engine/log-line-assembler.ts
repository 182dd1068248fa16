import type { LogLine, OutputStreamName } from "./container-streams.js";

export interface LogLineAssembler {
  /** Adds output of one stream (a frame, or a raw chunk with a Tty) and returns the lines it completed. */
  push(stream: OutputStreamName, data: Buffer): LogLine[];
  /** The lines left without a newline when the output ended, one per stream. */
  flush(): LogLine[];
}

export interface LogLineAssemblerOptions {
  /** Raw output (a Tty): chunks end anywhere. Otherwise each push is one engine log entry. */
  tty: boolean;
  /** Each engine log entry starts with `<RFC 3339 time with nanoseconds> `, to be parsed off. */
  timestamps: boolean;
}

const timePattern = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** Nanoseconds since the epoch of the engine's RFC 3339 time; undefined if it is not one. */
export function parseEngineTime(text: string): bigint | undefined {
  const match = timePattern.exec(text);
  if (!match) return undefined;
  const ms = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((match[2] ?? "").padEnd(9, "0"));
}

/** Splits `<time> <rest>`; the whole input as rest when it does not start with a time. */
function splitTime(data: Buffer): { timeNano?: bigint; rest: Buffer } {
  const space = data.indexOf(32);
  if (space < 20 || space > 40) return { rest: data };
  const timeNano = parseEngineTime(data.toString("latin1", 0, space));
  return timeNano === undefined ? { rest: data } : { timeNano, rest: data.subarray(space + 1) };
}

function text(bytes: Buffer): string {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.length - 1 : bytes.length;
  return bytes.toString("utf8", 0, end);
}

interface Pending {
  parts: Buffer[];
  timeNano?: bigint;
}

/**
 * Turns a container's log output into lines per stream. The engine logs a line as one entry,
 * but splits a line longer than 16 KiB into several, each with its own time: the parts are
 * joined here, and a line keeps the time of its first part. With a Tty there are no entry
 * boundaries, so a time is parsed off the start of each complete line instead.
 */
export function createLogLineAssembler(options: LogLineAssemblerOptions): LogLineAssembler {
  const pending: Record<OutputStreamName, Pending> = { stdout: { parts: [] }, stderr: { parts: [] } };

  function emit(lines: LogLine[], stream: OutputStreamName, bytes: Buffer, timeNano: bigint | undefined): void {
    if (options.tty && options.timestamps) {
      const split = splitTime(bytes);
      lines.push({ stream, text: text(split.rest), timeNano: split.timeNano });
    } else {
      lines.push(timeNano === undefined ? { stream, text: text(bytes) } : { stream, text: text(bytes), timeNano });
    }
  }

  return {
    push(stream, data) {
      const state = pending[stream];
      let entryTime: bigint | undefined;
      if (options.timestamps && !options.tty) ({ timeNano: entryTime, rest: data } = splitTime(data));
      if (state.parts.length === 0) state.timeNano = entryTime;
      const lines: LogLine[] = [];
      let start = 0;
      for (let newline = data.indexOf(10); newline >= 0; newline = data.indexOf(10, start)) {
        const piece = data.subarray(start, newline);
        const bytes = state.parts.length === 0 ? piece : Buffer.concat([...state.parts, piece]);
        emit(lines, stream, bytes, state.timeNano);
        state.parts = [];
        state.timeNano = entryTime;
        start = newline + 1;
      }
      if (start < data.length) state.parts.push(Buffer.from(data.subarray(start)));
      return lines;
    },
    flush() {
      const lines: LogLine[] = [];
      for (const stream of ["stdout", "stderr"] as const) {
        const state = pending[stream];
        if (state.parts.length > 0) emit(lines, stream, Buffer.concat(state.parts), state.timeNano);
        pending[stream] = { parts: [] };
      }
      return lines;
    },
  };
}
