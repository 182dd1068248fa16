import { readFile } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import type Docker from "dockerode";
import { DockhandError } from "../../model/dockhand-error.js";
import { sleep } from "../../lib/sleep.js";
import type { ExecItem, ExecOptions } from "../container-streams.js";
import { engineCall as call, toEngineError } from "./docker-errors.js";
import { createFrameDemuxer, type OutputFrame } from "../frame-demuxer.js";

/** How often to ask for the exit code of a command that closed its output but still runs. */
const exitPollMs = 50;

/**
 * The engine has no call to stop an exec. Its process can be killed from here only when it is
 * visible to dockhand: the same PID namespace as the engine. The pid the engine reports is
 * checked to belong to the container's cgroup first, so that a pid of another namespace (engine
 * on another host, dockhand in a container) never kills an unrelated process. Best effort.
 */
export async function killExecProcess(exec: Docker.Exec): Promise<void> {
  try {
    const info = await exec.inspect();
    if (!info.Running || !info.Pid) return;
    const cgroup = await readFile(`/proc/${info.Pid}/cgroup`, "utf8");
    if (cgroup.includes(info.ContainerID)) process.kill(info.Pid, "SIGKILL");
  } catch {
    // Gone already, not visible, or not ours to signal: the command is left to finish alone.
  }
}

/** Consecutive frames of one stream in one read become one output item. */
function* merge(frames: OutputFrame[], operation: string): Generator<ExecItem> {
  let run: OutputFrame[] = [];
  const flush = function* (): Generator<ExecItem> {
    if (run.length === 0) return;
    const first = run[0] as OutputFrame;
    const data = run.length === 1 ? first.data : Buffer.concat(run.map((f) => f.data));
    yield { kind: "output", stream: first.stream as "stdout" | "stderr", data: Buffer.from(data) };
    run = [];
  };
  for (const frame of frames) {
    if (frame.stream === "error") throw new DockhandError("Internal", `${operation}: ${frame.data.toString().trim()}`);
    if (run.length > 0 && run[0]?.stream !== frame.stream) yield* flush();
    run.push(frame);
  }
  yield* flush();
}

/** Runs a command in a container without a terminal: its output, then its exit code. */
export async function* runDockerExec(
  docker: Docker,
  id: string,
  options: ExecOptions,
  signal: AbortSignal,
): AsyncGenerator<ExecItem> {
  const operation = `exec in container ${id}`;
  const controller = new AbortController();
  const stop = () => controller.abort();
  signal.addEventListener("abort", stop, { once: true });
  let timedOut = false;
  // Its own timer: a timeout signal nobody holds on to can be collected and never fire.
  const timer =
    options.timeoutMs === undefined ? undefined : setTimeout(() => ((timedOut = true), stop()), options.timeoutMs);
  let exec: Docker.Exec | undefined;
  let response: IncomingMessage | undefined;
  let exited = false;
  try {
    exec = await call(operation, () =>
      docker.getContainer(id).exec({
        Cmd: options.command,
        Env: Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`),
        WorkingDir: options.workingDir,
        User: options.user,
        AttachStdin: false,
        AttachStdout: true,
        AttachStderr: true,
        Tty: false,
        abortSignal: controller.signal,
      }),
    );
    const started = exec;
    response = (await call(operation, () =>
      started.start({ hijack: false, stdin: false, Detach: false, Tty: false, abortSignal: controller.signal }),
    )) as unknown as IncomingMessage;
    const demuxer = createFrameDemuxer();
    for await (const chunk of response as AsyncIterable<Buffer>) yield* merge(demuxer.push(chunk), operation);
    demuxer.end();
    for (;;) {
      const info = await call(operation, () => started.inspect({ abortSignal: controller.signal }));
      if (!info.Running) {
        exited = true;
        yield { kind: "exit", exitCode: info.ExitCode ?? -1 };
        return;
      }
      await sleep(exitPollMs);
      if (controller.signal.aborted) throw new DockhandError("Cancelled", `${operation}: cancelled`);
    }
  } catch (err) {
    if (!controller.signal.aborted) throw toEngineError(err, operation);
    if (timedOut) {
      throw new DockhandError(
        "Timeout",
        `${operation}: ${JSON.stringify(options.command)} still running after timeout ${(options.timeoutMs ?? 0) / 1000}s`,
        {
          cause: err,
        },
      );
    }
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", stop);
    response?.destroy();
    // Also when the consumer stopped reading (return() runs no catch): nobody reads the output any more.
    if (exec && !exited) await killExecProcess(exec);
  }
}
