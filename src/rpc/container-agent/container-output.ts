/**
 * ContainerAgent's verbs that stream what a container writes: StreamLogs and Exec. Both split
 * stdout from stderr; each passes the call's signal to the engine, so a cancelled call closes
 * its engine connection at once.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationMs, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { Engine } from "../../engine/engine.js";
import type { ExecItem, ExecOptions, LogLine, LogOptions, OutputStreamName } from "../../engine/container-streams.js";
import { invalidArgument } from "../../model/dockhand-error.js";
import {
  OutputStream,
  type ExecRequest,
  type ExecResponseSchema,
  type StreamLogsRequest,
  type StreamLogsResponseSchema,
} from "../../../gen/dockhand/v1/agent_streams_pb.js";
import type { ContainerAgent } from "../../../gen/dockhand/v1/container_agent_pb.js";
import { checkContainerRef } from "./container-refs.js";
import { checkExecFields } from "./exec-fields.js";
import { nanoFromTimestamp, timestampFromNano } from "./nano-time.js";

type OutputMethods = "streamLogs" | "exec";

const outputStreams: Record<OutputStreamName, OutputStream> = {
  stdout: OutputStream.STDOUT,
  stderr: OutputStream.STDERR,
};

const streamNames: Partial<Record<OutputStream, OutputStreamName>> = {
  [OutputStream.STDOUT]: "stdout",
  [OutputStream.STDERR]: "stderr",
};

/** StreamLogs' options, without the signal. */
function logOptionsFromProto(req: StreamLogsRequest): Omit<LogOptions, "signal"> {
  if (req.tail !== undefined && req.tail < 0) throw invalidArgument("tail", `must not be negative (got ${req.tail})`);
  const sinceNano = req.since ? nanoFromTimestamp(req.since) : undefined;
  const untilNano = req.until ? nanoFromTimestamp(req.until) : undefined;
  if (sinceNano !== undefined && sinceNano < 0n) throw invalidArgument("since", "must not be before 1970");
  if (untilNano !== undefined && untilNano <= 0n) throw invalidArgument("until", "must be after 1970");
  if (sinceNano !== undefined && untilNano !== undefined && untilNano < sinceNano) {
    throw invalidArgument("until", "must not be before since");
  }
  const streams = new Set(
    req.streams.map((value, i) => {
      const name = streamNames[value];
      if (name === undefined) throw invalidArgument(`streams[${i}]`, `${value} is not a valid value`);
      return name;
    }),
  );
  const both = streams.size === 0;
  return {
    follow: req.follow,
    tail: req.tail,
    sinceNano,
    untilNano,
    timestamps: req.timestamps,
    stdout: both || streams.has("stdout"),
    stderr: both || streams.has("stderr"),
  };
}

/** Consecutive lines of one stream become one run: far cheaper to encode than a message per line. */
function logLinesToProto(lines: readonly LogLine[]): MessageInitShape<typeof StreamLogsResponseSchema> {
  const runs: Array<{ stream: OutputStream; lines: string[]; times: Timestamp[]; continued: number[] }> = [];
  let run: (typeof runs)[number] | undefined;
  for (const line of lines) {
    const stream = outputStreams[line.stream];
    if (run?.stream !== stream) {
      run = { stream, lines: [], times: [], continued: [] };
      runs.push(run);
    }
    if (line.continued) run.continued.push(run.lines.length);
    run.lines.push(line.text);
    if (line.timeNano !== undefined) run.times.push(timestampFromNano(line.timeNano));
  }
  return { runs };
}

/** Exec's options, without the signal. */
function execOptionsFromProto(req: ExecRequest): Omit<ExecOptions, "signal"> {
  checkExecFields(req);
  let timeoutMs: number | undefined;
  if (req.timeout) {
    if (req.timeout.seconds < 0n || req.timeout.nanos < 0 || durationMs(req.timeout) <= 0) {
      throw invalidArgument("timeout", `must be positive (got ${req.timeout.seconds}s ${req.timeout.nanos}ns)`);
    }
    timeoutMs = durationMs(req.timeout);
  }
  return {
    command: req.command,
    env: req.environment,
    workingDir: req.workingDir || undefined,
    user: req.user || undefined,
    timeoutMs,
  };
}

function execItemToProto(item: ExecItem): MessageInitShape<typeof ExecResponseSchema> {
  return item.kind === "output"
    ? { item: { case: "output", value: { stream: outputStreams[item.stream], data: item.data } } }
    : { item: { case: "result", value: { exitCode: item.exitCode } } };
}

export function createContainerOutputMethods(engine: Engine): Pick<ServiceImpl<typeof ContainerAgent>, OutputMethods> {
  return {
    async *streamLogs(req, ctx) {
      const id = checkContainerRef(req.id);
      const options = logOptionsFromProto(req);
      for await (const lines of engine.containers.logs(id, { ...options, signal: ctx.signal }))
        yield logLinesToProto(lines);
    },
    async *exec(req, ctx) {
      const id = checkContainerRef(req.id);
      const options = execOptionsFromProto(req);
      for await (const item of engine.containers.exec(id, { ...options, signal: ctx.signal }))
        yield execItemToProto(item);
    },
  };
}
