/** Attaching to a container's main process over one hijacked connection; detaching leaves it running. */
import type Docker from "dockerode";
import { DockhandError } from "../../model/dockhand-error.js";
import { sleep } from "../../lib/sleep.js";
import type { AttachOptions, InteractiveSession, TerminalSize } from "../container-interactive.js";
import type { EngineCall } from "./docker-deadline.js";
import { engineCall } from "./docker-errors.js";
import { hijack } from "./docker-hijack.js";
import { dialUnder } from "./dial-signal.js";
import { pollUntilStopped, socketSession } from "./docker-socket-session.js";

/**
 * Written on stdin to detach from an attached container without closing its stdin (a plain
 * disconnect closes it, and a container started with `-i` alone then ends): the engine ends the
 * attach when it reads these keys. Rare control keys, so that a person typing does not hit them.
 */
const detachKeys = "ctrl-^,ctrl-_,ctrl-^,ctrl-_";
const detachBytes = Buffer.from([0x1e, 0x1f, 0x1e, 0x1f]);

export async function attachDocker(
  docker: Docker,
  call: EngineCall,
  id: string,
  options: AttachOptions,
  signal?: AbortSignal,
): Promise<InteractiveSession> {
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
}
