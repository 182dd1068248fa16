import type { IncomingMessage } from "node:http";
import type Docker from "dockerode";
import { DockhandError } from "../../model/dockhand-error.js";
import { abortable } from "../abortable-iterable.js";
import type { ContainerStreams, LogLine, LogOptions, StatsOptions, StatsSample } from "../container-streams.js";
import { engineCall as call, toEngineError } from "./docker-errors.js";
import { dockerSince } from "./docker-event-mapping.js";
import { runDockerExec } from "./docker-exec.js";
import { isLiveSample, toStatsSample, type DockerStatsJson } from "./docker-stats-mapping.js";
import { createFrameDemuxer } from "../frame-demuxer.js";
import { readLines } from "../line-buffer.js";
import { createLogLineAssembler } from "../log-line-assembler.js";

/** Output of the engine gathered into one batch of log lines at most (bytes, headers included). */
const maxBatchBytes = 64 * 1024;

/** Samples of a stream are at most this much early and still count as one interval apart. */
const intervalSlackMs = 250;

/**
 * Opens an engine response as a stream whatever its size. dockerode's own logs() buffers the
 * whole log in memory unless it follows, which a large log cannot afford.
 */
function dialStream(docker: Docker, path: string, options: object, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const dial = docker.modem.dial.bind(docker.modem) as (
      opts: object,
      cb: (err: unknown, data: unknown) => void,
    ) => void;
    dial(
      {
        path,
        method: "GET",
        options,
        isStream: true,
        abortSignal: signal,
        statusCodes: { 200: true, 400: "bad parameter", 404: "no such container", 500: "server error" },
      },
      (err, data) => (err ? reject(err) : resolve(data as IncomingMessage)),
    );
  });
}

/** ContainerStreams backed by dockerode. */
export function createDockerContainerStreams(docker: Docker): ContainerStreams {
  async function* logs(id: string, options: LogOptions, signal: AbortSignal): AsyncGenerator<LogLine[]> {
    const operation = `read logs of container ${id}`;
    const info = await call(operation, () => docker.getContainer(id).inspect({ abortSignal: signal }));
    const tty = info.Config.Tty;
    const query = {
      follow: options.follow,
      stdout: options.stdout,
      stderr: options.stderr,
      timestamps: options.timestamps,
      tail: options.tail === undefined ? "all" : String(options.tail),
      ...(options.sinceNano === undefined ? {} : { since: dockerSince(options.sinceNano) }),
      ...(options.untilNano === undefined ? {} : { until: dockerSince(options.untilNano) }),
    };
    const response = await call(operation, () => dialStream(docker, `/containers/${info.Id}/logs?`, query, signal));
    try {
      const demuxer = tty ? undefined : createFrameDemuxer();
      const assembler = createLogLineAssembler({ tty, timestamps: options.timestamps });
      let lines: LogLine[] = [];
      let batchBytes = 0;
      for await (const chunk of response as AsyncIterable<Buffer>) {
        batchBytes += chunk.length;
        const frames = demuxer ? demuxer.push(chunk) : [{ stream: "stdout" as const, data: chunk }];
        for (const frame of frames) {
          if (frame.stream === "error")
            throw new DockhandError("Internal", `${operation}: ${frame.data.toString().trim()}`);
          for (const line of assembler.push(frame.stream, frame.data)) lines.push(line);
        }
        // What the engine already sent joins this batch: a large log goes out in few items,
        // while a followed line is handed over as soon as nothing else is waiting.
        if (lines.length > 0 && (response.readableLength === 0 || batchBytes >= maxBatchBytes)) {
          yield lines;
          lines = [];
          batchBytes = 0;
        }
      }
      if (lines.length > 0) yield lines;
      demuxer?.end();
      const rest = assembler.flush();
      if (rest.length > 0) yield rest;
    } catch (err) {
      if (signal.aborted) return;
      throw toEngineError(err, operation);
    } finally {
      response.destroy();
    }
  }

  async function* stats(id: string, options: StatsOptions, signal: AbortSignal): AsyncGenerator<StatsSample> {
    const operation = `read stats of container ${id}`;
    // The typings miss stats' abortSignal, which dockerode does honour.
    const open = docker.getContainer(id).stats.bind(docker.getContainer(id)) as (opts: object) => Promise<unknown>;
    const response = (await call(operation, () => open({ stream: true, abortSignal: signal }))) as IncomingMessage;
    try {
      let previous: DockerStatsJson | undefined;
      let sent = false;
      for await (const line of readLines(response)) {
        const sample = JSON.parse(line) as DockerStatsJson;
        if (!isLiveSample(sample)) {
          if (previous) return;
          throw new DockhandError("Conflict", `${operation}: the container is not running`);
        }
        // The first sample only starts the first measurement, which is sent whatever the interval.
        const elapsedMs = previous ? Date.parse(sample.read as string) - Date.parse(previous.read as string) : 0;
        if (previous && sent && elapsedMs < options.intervalMs - intervalSlackMs) continue;
        if (previous) {
          yield toStatsSample(previous, sample);
          sent = true;
        }
        previous = sample;
      }
    } catch (err) {
      if (signal.aborted) return;
      throw toEngineError(err, operation);
    } finally {
      response.destroy();
    }
  }

  return {
    logs: (id, options) => abortable(options.signal, (signal) => logs(id, options, signal)),
    stats: (id, options) => abortable(options.signal, (signal) => stats(id, options, signal)),
    exec: (id, options) => abortable(options.signal, (signal) => runDockerExec(docker, id, options, signal)),
  };
}
