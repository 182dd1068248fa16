import type { OutputStreamName } from "./frame-demuxer.js";

/** A terminal's size in character cells. */
export interface TerminalSize {
  rows: number;
  columns: number;
}

export interface InteractiveExecOptions {
  /** argv, not empty. */
  command: string[];
  /** Added to the container's environment. */
  env?: Record<string, string>;
  /** Absolute path; undefined: the container's own. */
  workingDir?: string;
  /** `user[:group]`; undefined: the container's user. */
  user?: string;
  /** A pseudo-terminal: output comes as stdout only. */
  tty: boolean;
  /** Open stdin; without it the process reads end of file at once. */
  stdin: boolean;
  /** With `tty`: applied right after the start (the engine takes no size at create before API 1.42). */
  size?: TerminalSize;
}

export interface AttachOptions {
  /** Feed the main process's stdin (the container must have it open). */
  stdin: boolean;
  /** Resize the container's terminal on attaching. */
  size?: TerminalSize;
}

export interface OutputChunk {
  stream: OutputStreamName;
  data: Buffer;
}

/**
 * A process with its stdin, stdout and stderr on one engine connection (a hijacked exec start or
 * container attach). Nothing is buffered beyond the socket's own buffers: reading `output`
 * slowly slows the engine down, and `write` resolves only once the socket took the bytes.
 */
export interface InteractiveSession {
  /** Whether the process has a terminal. */
  readonly tty: boolean;
  /** Output as the engine sends it (one consumer); ends when the process closes it or the session closes. */
  readonly output: AsyncIterable<OutputChunk>;
  /** Writes to the process's stdin; resolves when the socket accepted the bytes. */
  write(data: Buffer): Promise<void>;
  /**
   * Ends the process's stdin while its output goes on: a pipe is half-closed; a terminal gets
   * Ctrl-D (the engine would close a terminal's output with its stdin).
   */
  closeStdin(): void;
  resize(size: TerminalSize, signal?: AbortSignal): Promise<void>;
  /**
   * Sends a signal (canonical `SIGTERM`, or a number) to the process. For an exec the engine
   * has no call: FailedPrecondition when dockhand cannot see the process.
   */
  kill(signal: string, abortSignal?: AbortSignal): Promise<void>;
  /** Once `output` ended: the process's exit code (-1 when none was recorded). */
  exitCode(signal?: AbortSignal): Promise<number>;
  /**
   * Ends the session and closes the connection. An exec still running is killed when dockhand
   * can see its process; an attached container keeps running (detach).
   */
  close(): Promise<void>;
}

/** What the engine says of a path in a container (its archive API's stat). */
export interface PathStat {
  name: string;
  size: number;
  /** Permission bits only. */
  mode: number;
  directory: boolean;
  /** A symbolic link's target; empty otherwise. */
  linkTarget: string;
  /** A regular file (not a directory, link, device or pipe). */
  regular: boolean;
}

/** A path read out of a container: what it is, and a tar archive of it (one top entry). */
export interface ArchiveRead {
  stat: PathStat;
  /** Read at the consumer's pace; `close` or the call's signal ends it early. */
  tar: AsyncIterable<Buffer>;
  /** Closes the engine connection quietly (also once it is read to the end). */
  close(): void;
}

/**
 * Interactive processes and files in and out of containers. Errors: NotFound for a missing
 * container or path, Conflict for a container that is not running where that is needed.
 */
export interface ContainerInteractive {
  /** Starts a command in a running container with its stdin, stdout and stderr on one connection. */
  openExec(id: string, options: InteractiveExecOptions, signal?: AbortSignal): Promise<InteractiveSession>;
  /** Attaches to a running container's main process. */
  attach(id: string, options: AttachOptions, signal?: AbortSignal): Promise<InteractiveSession>;
  /** Extracts a tar archive into an existing directory of the container (the engine's put-archive). */
  putArchive(id: string, directory: string, tar: AsyncIterable<Buffer> | Buffer, signal?: AbortSignal): Promise<void>;
  /** The path's stat and a tar of it (the engine's get-archive). */
  getArchive(id: string, path: string, signal?: AbortSignal): Promise<ArchiveRead>;
  /** The path's stat alone (the engine's head-archive). */
  statPath(id: string, path: string, signal?: AbortSignal): Promise<PathStat>;
}
