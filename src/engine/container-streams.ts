import type { OutputStreamName } from "./frame-demuxer.js";

export type { OutputStreamName } from "./frame-demuxer.js";

export interface LogOptions {
  /** Follow new output until the container stops. */
  follow: boolean;
  /** Only the last N lines logged so far. Undefined: all. */
  tail?: number;
  /** Only lines logged at or after this time, in nanoseconds since the epoch. */
  sinceNano?: bigint;
  /** Only lines logged before this time, in nanoseconds since the epoch. */
  untilNano?: bigint;
  /** Fill `LogLine.timeNano`. */
  timestamps: boolean;
  stdout: boolean;
  stderr: boolean;
  /** Ends the stream quietly and closes its engine connection. */
  signal?: AbortSignal;
}

export interface LogLine {
  /** With a Tty, always stdout. */
  stream: OutputStreamName;
  /** Without the line ending; bytes that are not UTF-8 replaced with U+FFFD. */
  text: string;
  /** When the engine logged the line, in nanoseconds since the epoch; set with `timestamps`. */
  timeNano?: bigint;
  /** The line was longer than the cap (64 KiB) and was cut here: the next line of its stream goes on with it. */
  continued?: boolean;
}

/** A container's resource usage at one moment. */
export interface StatsSample {
  time: Date;
  /** Since the previous sample; 100 = one CPU busy. */
  cpuPercent: number;
  onlineCpus: number;
  memoryUsageBytes: number;
  memoryLimitBytes: number;
  networkRxBytes: number;
  networkTxBytes: number;
  blockReadBytes: number;
  blockWriteBytes: number;
  pids: number;
}

export interface StatsOptions {
  /** Least time between two samples, in ms; the engine measures once a second. */
  intervalMs: number;
  signal?: AbortSignal;
}

export interface ExecOptions {
  /** argv, not empty. */
  command: string[];
  /** Added to the container's environment. */
  env?: Record<string, string>;
  /** Absolute path; undefined: the container's own. */
  workingDir?: string;
  /** `user[:group]`; undefined: the container's user. */
  user?: string;
  /** Kill (when visible) and fail with Timeout after this long. Undefined: no limit. */
  timeoutMs?: number;
  /** Aborting kills the command (when visible) and ends the stream quietly. */
  signal?: AbortSignal;
}

export type ExecItem = { kind: "output"; stream: OutputStreamName; data: Buffer } | { kind: "exit"; exitCode: number };

/**
 * Following a container's output, resource usage and commands. Every stream closes its engine
 * connection when its signal aborts or its consumer stops iterating. Errors: NotFound for a
 * missing container, Conflict for one that is not running where that is needed.
 */
export interface ContainerStreams {
  /**
   * The container's logs, without frame headers; each item holds the complete lines of one
   * engine read. With `follow`, ends when the container stops.
   */
  logs(id: string, options: LogOptions): AsyncIterable<LogLine[]>;
  /**
   * Usage samples with CPU% measured between two engine samples: the first comes about one
   * second after the call, then one per interval. Ends when the container stops; Conflict when
   * it does not run at the start.
   */
  stats(id: string, options: StatsOptions): AsyncIterable<StatsSample>;
  /**
   * Runs a command in a running container (Conflict otherwise): its output as the engine
   * sends it, then one `exit` item. Timeout when `timeoutMs` passes first.
   */
  exec(id: string, options: ExecOptions): AsyncIterable<ExecItem>;
}
