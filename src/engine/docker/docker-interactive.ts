/** ContainerInteractive over dockerode: hijacked exec and attach connections, and the archive API. */
import { readFile } from "node:fs/promises";
import { constants } from "node:os";
import type { Duplex } from "node:stream";
import type Docker from "dockerode";
import { DockhandError } from "../../model/dockhand-error.js";
import { sleep } from "../../lib/sleep.js";
import type { ContainerInteractive, InteractiveSession, OutputChunk, TerminalSize } from "../container-interactive.js";
import { createFrameDemuxer, type OutputFrame } from "../frame-demuxer.js";
import { createDockerArchive } from "./docker-archive.js";
import type { EngineCall } from "./docker-deadline.js";
import { engineCall, toEngineError } from "./docker-errors.js";
import { killExecProcess } from "./docker-exec.js";
import { hijack } from "./docker-hijack.js";
import { dialUnder } from "./dial-signal.js";

/** How often to ask whether a process whose output ended has exited. */
const exitPollMs = 50;

/**
 * Written on stdin to detach from an attached container without closing its stdin (a plain
 * disconnect closes it, and a container started with `-i` alone then ends): the engine ends the
 * attach when it reads these keys. Rare control keys, so that a person typing does not hit them.
 */
const detachKeys = "ctrl-^,ctrl-_,ctrl-^,ctrl-_";
const detachBytes = Buffer.from([0x1e, 0x1f, 0x1e, 0x1f]);

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

interface SocketSession {
  output: AsyncIterable<OutputChunk>;
  write(data: Buffer): Promise<void>;
  closeStdin(): void;
  /** Destroys the connection; the output then ends quietly. */
  destroy(): void;
  /** Resolves when the connection has closed, whoever closed it. */
  closed: Promise<void>;
}

/** Output and stdin over one hijacked connection, at the pace of each side. */
function socketSession(socket: Duplex, tty: boolean, operation: string): SocketSession {
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
        if (socket.writableEnded || socket.destroyed) {
          reject(new DockhandError("FailedPrecondition", `${operation}: stdin is closed`));
          return;
        }
        socket.write(data, (err) => (err ? reject(toEngineError(err, operation)) : resolve()));
      }),
    closeStdin: () => {
      if (socket.writableEnded || socket.destroyed) return;
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

/** A signal as process.kill takes it, or undefined when this host cannot name it. */
function hostSignal(signal: string): NodeJS.Signals | number | undefined {
  if (/^\d+$/.test(signal)) return Number(signal);
  return signal in constants.signals ? (signal as NodeJS.Signals) : undefined;
}

export function createDockerInteractive(docker: Docker, call: EngineCall): ContainerInteractive {
  async function pollUntilStopped<T>(
    inspect: (signal: AbortSignal | undefined) => Promise<{ running: boolean; value: T }>,
    signal?: AbortSignal,
  ): Promise<T> {
    for (;;) {
      const state = await inspect(signal);
      if (!state.running) return state.value;
      await sleep(exitPollMs, signal);
    }
  }

  return {
    async openExec(id, options, signal) {
      const operation = `exec in container ${id}`;
      const exec = await call(operation, signal, (abortSignal) =>
        docker.getContainer(id).exec({
          Cmd: options.command,
          Env: Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`),
          WorkingDir: options.workingDir,
          User: options.user,
          AttachStdin: options.stdin,
          AttachStdout: true,
          AttachStderr: true,
          Tty: options.tty,
          abortSignal,
        }),
      );
      const socket = await engineCall(operation, () =>
        dialUnder(signal, (dialSignal) =>
          hijack(docker, {
            path: `/exec/${exec.id}/start`,
            body: { Detach: false, Tty: options.tty },
            signal: dialSignal,
          }),
        ),
      );
      const io = socketSession(socket, options.tty, operation);
      let exited = false;
      const resize = (size: TerminalSize, abortSignal?: AbortSignal) =>
        call(`resize exec in container ${id}`, abortSignal, (s) =>
          exec.resize({ h: size.rows, w: size.columns, abortSignal: s } as object),
        ).then(() => undefined);
      if (options.tty && options.size) await resize(options.size, signal).catch(() => undefined);
      const session: InteractiveSession = {
        tty: options.tty,
        output: io.output,
        write: io.write,
        closeStdin: io.closeStdin,
        resize,
        async kill(name, abortSignal) {
          const inspect = () => call(operation, abortSignal, (s) => exec.inspect({ abortSignal: s }));
          let info = await inspect();
          // The engine records the process as running a moment after it starts: its first output can come sooner.
          for (let tries = 0; !info.Running && info.ExitCode === null && tries < 40; tries++) {
            await sleep(exitPollMs, abortSignal);
            info = await inspect();
          }
          const hostName = hostSignal(name);
          const visible =
            info.Running &&
            info.Pid > 0 &&
            (await readFile(`/proc/${info.Pid}/cgroup`, "utf8").catch(() => "")).includes(info.ContainerID);
          if (!visible || hostName === undefined) {
            throw new DockhandError(
              "FailedPrecondition",
              `${operation}: cannot send ${name}: the engine has no call to signal an exec, and its process is not visible to dockhand`,
            );
          }
          process.kill(info.Pid, hostName);
        },
        async exitCode(abortSignal) {
          const code = await pollUntilStopped(async (s) => {
            const info = await call(operation, s, (inner) => exec.inspect({ abortSignal: inner }));
            return { running: info.Running, value: info.ExitCode ?? -1 };
          }, abortSignal);
          exited = true;
          return code;
        },
        async close() {
          io.destroy();
          if (!exited) await killExecProcess(exec);
        },
      };
      return session;
    },

    async attach(id, options, signal) {
      const operation = `attach to container ${id}`;
      const container = docker.getContainer(id);
      const info = await call(operation, signal, (abortSignal) => container.inspect({ abortSignal }));
      if (!info.State.Running || info.State.Paused) {
        throw new DockhandError("Conflict", `${operation}: container is ${info.State.Status}, not running`);
      }
      if (options.stdin && !info.Config.OpenStdin) {
        throw new DockhandError(
          "FailedPrecondition",
          `${operation}: the container was created without an open stdin (docker run -i), so nothing can be sent to it`,
        );
      }
      const tty = info.Config.Tty;
      const socket = await engineCall(operation, () =>
        dialUnder(signal, (dialSignal) =>
          hijack(docker, {
            path: `/containers/${info.Id}/attach`,
            query: { stream: 1, stdin: options.stdin ? 1 : 0, stdout: 1, stderr: 1, detachKeys },
            signal: dialSignal,
          }),
        ),
      );
      const io = socketSession(socket, tty, operation);
      const resize = (size: TerminalSize, abortSignal?: AbortSignal) =>
        call(`resize container ${id}`, abortSignal, (s) =>
          container.resize({ h: size.rows, w: size.columns, abortSignal: s } as object),
        ).then(() => undefined);
      if (tty && options.size) await resize(options.size, signal).catch(() => undefined);
      let stdinOpen = options.stdin;
      return {
        tty,
        output: io.output,
        write: io.write,
        closeStdin: () => {
          stdinOpen = false;
          io.closeStdin();
        },
        resize,
        async kill(name, abortSignal) {
          await call(`kill container ${id}`, abortSignal, (s) => container.kill({ signal: name, abortSignal: s }));
        },
        exitCode: (abortSignal) =>
          pollUntilStopped(async (s) => {
            const state = (await call(operation, s, (inner) => container.inspect({ abortSignal: inner }))).State;
            return { running: state.Running, value: state.ExitCode ?? -1 };
          }, abortSignal),
        async close() {
          if (stdinOpen) {
            // The engine ends the attach on its detach keys, leaving stdin open; bounded, should it not.
            await io.write(detachBytes).catch(() => undefined);
            await Promise.race([io.closed, sleep(2000)]);
          }
          io.destroy();
        },
      };
    },

    ...createDockerArchive(docker, call),
  };
}
