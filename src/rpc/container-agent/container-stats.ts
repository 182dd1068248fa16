/**
 * ContainerAgent's resource-usage verbs: GetStats (one sample) and StreamStats (a sample per
 * interval), with the interval's bounds and the ContainerStats message.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Engine } from "../../engine/engine.js";
import type { StatsSample } from "../../engine/container-streams.js";
import { DockhandError, invalidArgument } from "../../model/dockhand-error.js";
import type { ContainerStatsSchema, StreamStatsRequest } from "../../../gen/dockhand/v1/agent_streams_pb.js";
import type { ContainerAgent } from "../../../gen/dockhand/v1/container_agent_pb.js";
import { checkContainerRef } from "./container-refs.js";

type StatsMethods = "getStats" | "streamStats";

const minStatsIntervalMs = 1000;
const maxStatsIntervalMs = 3_600_000;

/** StreamStats' interval in ms: 1 second when unset. */
function statsIntervalMs(req: StreamStatsRequest): number {
  if (!req.interval) return minStatsIntervalMs;
  const ms = durationMs(req.interval);
  if (!(ms >= minStatsIntervalMs && ms <= maxStatsIntervalMs)) {
    throw invalidArgument("interval", `must be between 1s and 3600s (got ${ms / 1000}s)`);
  }
  return ms;
}

function statsToProto(sample: StatsSample): MessageInitShape<typeof ContainerStatsSchema> {
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

export function createContainerStatsMethods(engine: Engine): Pick<ServiceImpl<typeof ContainerAgent>, StatsMethods> {
  return {
    async getStats(req, ctx) {
      const id = checkContainerRef(req.id);
      for await (const sample of engine.containers.stats(id, { intervalMs: 0, signal: ctx.signal })) {
        return { stats: statsToProto(sample) };
      }
      throw new DockhandError(
        "FailedPrecondition",
        `read stats of container ${id}: it stopped before its usage could be measured`,
      );
    },
    async *streamStats(req, ctx) {
      const id = checkContainerRef(req.id);
      const intervalMs = statsIntervalMs(req);
      for await (const sample of engine.containers.stats(id, { intervalMs, signal: ctx.signal })) {
        yield { stats: statsToProto(sample) };
      }
    },
  };
}
