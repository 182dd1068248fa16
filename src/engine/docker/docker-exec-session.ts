/** An exec with its stdin on one hijacked connection: resize, end of stdin, signals, exit code. */
import { readFile } from "node:fs/promises";
import { constants } from "node:os";
import type Docker from "dockerode";
import { DockhandError } from "../../model/dockhand-error.js";
import { sleep } from "../../lib/sleep.js";
import type { InteractiveExecOptions, InteractiveSession, TerminalSize } from "../container-interactive.js";
import type { EngineCall } from "./docker-deadline.js";
import { engineCall } from "./docker-errors.js";
import { killExecProcess } from "./docker-exec.js";
import { hijack } from "./docker-hijack.js";
import { dialUnder } from "./dial-signal.js";
import { exitPollMs, pollUntilStopped, socketSession } from "./docker-socket-session.js";

/** A signal as process.kill takes it, or undefined when this host cannot name it. */
function hostSignal(signal: string): NodeJS.Signals | number | undefined {
  if (/^\d+$/.test(signal)) return Number(signal);
  return signal in constants.signals ? (signal as NodeJS.Signals) : undefined;
}

export async function openDockerExec(
  docker: Docker,
  call: EngineCall,
  id: string,
  options: InteractiveExecOptions,
  signal?: AbortSignal,
): Promise<InteractiveSession> {
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
}
