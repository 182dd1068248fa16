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
  /** Longest line handed on, in bytes; a longer one comes in parts, each but the last `continued`. Default 64 KiB. */
  maxLineBytes?: number;
}

/** The default cap on a line: one container writing a line without end must not grow dockhand. */
export const maxLogLineBytes = 64 * 1024;

/** Where to cut `bytes` at most `max` bytes in, without splitting a UTF-8 character. */
function cutAt(bytes: Buffer, max: number): number {
  let end = max;
  // A byte 10xxxxxx continues a character begun before it.
  while (end > max - 4 && end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return end > 0 ? end : max;
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

function line(stream: OutputStreamName, bytes: Buffer, timeNano: bigint | undefined, continued: boolean): LogLine {
  const out: LogLine = timeNano === undefined ? { stream, text: text(bytes) } : { stream, text: text(bytes), timeNano };
  if (continued) out.continued = true;
  return out;
}

function text(bytes: Buffer): string {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.length - 1 : bytes.length;
  return bytes.toString("utf8", 0, end);
}

interface Pending {
  parts: Buffer[];
  /** Bytes held in parts. */
  size: number;
  timeNano?: bigint;
  /** With a Tty and timestamps: the line's time was parsed off already (`timeNano`). */
  timeRead: boolean;
}

/**
 * Turns a container's log output into lines per stream. The engine logs a line as one entry,
 * but splits a line longer than 16 KiB into several, each with its own time: the parts are
 * joined here, and a line keeps the time of its first part. With a Tty there are no entry
 * boundaries, so a time is parsed off the start of each complete line instead.
 */
export function createLogLineAssembler(options: LogLineAssemblerOptions): LogLineAssembler {
  const max = options.maxLineBytes ?? maxLogLineBytes;
  const empty = (): Pending => ({ parts: [], size: 0, timeRead: false });
  const pending: Record<OutputStreamName, Pending> = { stdout: empty(), stderr: empty() };

  /** With a Tty and timestamps, the time at the start of a line not yet begun on (else the time given). */
  function timeOf(
    state: Pending,
    bytes: Buffer,
    timeNano: bigint | undefined,
  ): { time: bigint | undefined; rest: Buffer } {
    if (!options.tty || !options.timestamps || state.timeRead)
      return { time: state.timeRead ? state.timeNano : timeNano, rest: bytes };
    const split = splitTime(bytes);
    state.timeRead = true;
    state.timeNano = split.timeNano;
    return { time: split.timeNano, rest: split.rest };
  }

  /** Hands on parts of at most `max` bytes, each `continued`, while more than `max` remain; returns the rest. */
  function emitParts(lines: LogLine[], stream: OutputStreamName, bytes: Buffer, time: bigint | undefined): Buffer {
    while (bytes.length > max) {
      const end = cutAt(bytes, max);
      lines.push(line(stream, bytes.subarray(0, end), time, true));
      bytes = bytes.subarray(end);
    }
    return bytes;
  }

  /** Hands on a complete line: in parts when it is longer than `max`. */
  function emit(
    lines: LogLine[],
    stream: OutputStreamName,
    state: Pending,
    bytes: Buffer,
    timeNano: bigint | undefined,
  ): void {
    const { time, rest } = timeOf(state, bytes, timeNano);
    lines.push(line(stream, emitParts(lines, stream, rest, time), time, false));
    state.timeRead = false;
  }

  return {
    push(stream, data) {
      const state = pending[stream];
      let entryTime: bigint | undefined;
      if (options.timestamps && !options.tty) ({ timeNano: entryTime, rest: data } = splitTime(data));
      if (state.parts.length === 0 && !state.timeRead) state.timeNano = entryTime;
      const lines: LogLine[] = [];
      let start = 0;
      for (let newline = data.indexOf(10); newline >= 0; newline = data.indexOf(10, start)) {
        const piece = data.subarray(start, newline);
        const bytes = state.parts.length === 0 ? piece : Buffer.concat([...state.parts, piece]);
        emit(lines, stream, state, bytes, state.timeNano);
        state.parts = [];
        state.size = 0;
        state.timeNano = entryTime;
        start = newline + 1;
      }
      if (start < data.length) {
        state.parts.push(Buffer.from(data.subarray(start)));
        state.size += data.length - start;
      }
      // A line without end is handed on in parts as it grows, never held whole.
      if (state.size > max) {
        const { time, rest } = timeOf(state, Buffer.concat(state.parts), state.timeNano);
        const left = emitParts(lines, stream, rest, time);
        state.timeRead = true;
        state.timeNano = time;
        state.parts = [Buffer.from(left)];
        state.size = left.length;
      }
      return lines;
    },
    flush() {
      const lines: LogLine[] = [];
      for (const stream of ["stdout", "stderr"] as const) {
        const state = pending[stream];
        if (state.parts.length > 0) emit(lines, stream, state, Buffer.concat(state.parts), state.timeNano);
        pending[stream] = empty();
      }
      return lines;
    },
  };
}
