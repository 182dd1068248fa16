import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { ExecItem, LogLine, OutputStreamName, StatsSample } from "../../engine/container-streams.js";
import type { EngineEvent, EngineEventItem, EngineEventType } from "../../engine/event-stream.js";
import { serviceLabel } from "../../model/ownership-labels.js";
import {
  EventAction,
  EventType,
  OutputStream,
  type ContainerStatsSchema,
  type ExecResponseSchema,
  type StreamLogsResponseSchema,
  type WatchEventsResponseSchema,
} from "../../../gen/dockhand/v1/agent_streams_pb.js";
import { healthToProto } from "../scaler/status-mapping.js";

const outputStreams: Record<OutputStreamName, OutputStream> = {
  stdout: OutputStream.STDOUT,
  stderr: OutputStream.STDERR,
};

/** The engine's action words with a value of their own in EventAction. */
export const actionWords: Partial<Record<EventAction, string>> = {
  [EventAction.CREATE]: "create",
  [EventAction.START]: "start",
  [EventAction.DIE]: "die",
  [EventAction.OOM]: "oom",
  [EventAction.HEALTH_STATUS]: "health_status",
  [EventAction.PAUSE]: "pause",
  [EventAction.UNPAUSE]: "unpause",
  [EventAction.DESTROY]: "destroy",
  [EventAction.KILL]: "kill",
  [EventAction.STOP]: "stop",
  [EventAction.RESTART]: "restart",
  [EventAction.PULL]: "pull",
  [EventAction.DELETE]: "delete",
  [EventAction.TAG]: "tag",
  [EventAction.UNTAG]: "untag",
  [EventAction.PUSH]: "push",
  [EventAction.LOAD]: "load",
};

const actionsByWord = new Map(Object.entries(actionWords).map(([action, word]) => [word, Number(action) as EventAction]));

export const eventTypeNames: Partial<Record<EventType, EngineEventType>> = {
  [EventType.CONTAINER]: "container",
  [EventType.IMAGE]: "image",
};

export const streamNames: Partial<Record<OutputStream, OutputStreamName>> = {
  [OutputStream.STDOUT]: "stdout",
  [OutputStream.STDERR]: "stderr",
};

/** A Timestamp to the nanosecond from nanoseconds since the epoch. */
export function timestampFromNano(nano: bigint): Timestamp {
  const seconds = nano / 1_000_000_000n;
  return { $typeName: "google.protobuf.Timestamp", seconds, nanos: Number(nano - seconds * 1_000_000_000n) };
}

export function nanoFromTimestamp(timestamp: Timestamp): bigint {
  return timestamp.seconds * 1_000_000_000n + BigInt(timestamp.nanos);
}

/** Consecutive lines of one stream become one run: far cheaper to encode than a message per line. */
export function logLinesToProto(lines: readonly LogLine[]): MessageInitShape<typeof StreamLogsResponseSchema> {
  const runs: Array<{ stream: OutputStream; lines: string[]; times: Timestamp[] }> = [];
  let run: (typeof runs)[number] | undefined;
  for (const line of lines) {
    const stream = outputStreams[line.stream];
    if (run?.stream !== stream) {
      run = { stream, lines: [], times: [] };
      runs.push(run);
    }
    run.lines.push(line.text);
    if (line.timeNano !== undefined) run.times.push(timestampFromNano(line.timeNano));
  }
  return { runs };
}

function eventToProto(event: EngineEvent) {
  return {
    type: event.type === "container" ? EventType.CONTAINER : EventType.IMAGE,
    action: actionsByWord.get(event.action) ?? EventAction.UNSPECIFIED,
    rawAction: event.action,
    detail: event.detail,
    id: event.id,
    name: event.attributes.name ?? "",
    service: event.type === "container" ? (event.attributes[serviceLabel] ?? "") : "",
    attributes: event.attributes,
    time: timestampFromNano(event.timeNano),
    exitCode: event.exitCode,
    health: event.health === undefined ? undefined : healthToProto(event.health),
  };
}

export function eventItemToProto(item: EngineEventItem): MessageInitShape<typeof WatchEventsResponseSchema> {
  switch (item.kind) {
    case "event":
      return { item: { case: "event", value: eventToProto(item.event) } };
    case "connected":
      return { item: { case: "connected", value: {} } };
    case "resynced":
      return {
        item: {
          case: "resynced",
          value: {
            lostTime: timestampFromDate(item.lostAt),
            reason: item.reason,
            since: item.since ? timestampFromDate(item.since) : undefined,
          },
        },
      };
  }
}

export function statsToProto(sample: StatsSample): MessageInitShape<typeof ContainerStatsSchema> {
  const bytes = (n: number) => BigInt(Math.max(0, Math.round(n)));
  return {
    time: timestampFromDate(sample.time),
    cpuPercent: Math.round(sample.cpuPercent * 1000) / 1000,
    onlineCpus: sample.onlineCpus,
    memoryUsageBytes: bytes(sample.memoryUsageBytes),
    memoryLimitBytes: bytes(sample.memoryLimitBytes),
    networkRxBytes: bytes(sample.networkRxBytes),
    networkTxBytes: bytes(sample.networkTxBytes),
    blockReadBytes: bytes(sample.blockReadBytes),
    blockWriteBytes: bytes(sample.blockWriteBytes),
    pids: bytes(sample.pids),
  };
}

export function execItemToProto(item: ExecItem): MessageInitShape<typeof ExecResponseSchema> {
  return item.kind === "output"
    ? { item: { case: "output", value: { stream: outputStreams[item.stream], data: item.data } } }
    : { item: { case: "result", value: { exitCode: item.exitCode } } };
}
