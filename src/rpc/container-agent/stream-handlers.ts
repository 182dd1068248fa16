import type { ServiceImpl } from "@connectrpc/connect";
import type { Engine } from "../../engine/engine.js";
import { DockhandError } from "../../model/dockhand-error.js";
import { serviceLabel } from "../../model/ownership-labels.js";
import type { ContainerAgent } from "../../../gen/dockhand/v1/container_agent_pb.js";
import { checkContainerRef } from "./container-request-rules.js";
import { eventItemToProto, execItemToProto, logLinesToProto, statsToProto } from "./stream-mapping.js";
import { eventWatchFromProto, execOptionsFromProto, logOptionsFromProto, statsIntervalMs } from "./stream-request-rules.js";

type StreamMethods = "streamLogs" | "watchEvents" | "getStats" | "streamStats" | "exec";

/**
 * ContainerAgent's streaming methods: validate, follow the engine, map to proto. Each passes
 * the call's signal to the engine, so a cancelled call closes its engine connection at once.
 */
export function createStreamHandlers(engine: Engine): Pick<ServiceImpl<typeof ContainerAgent>, StreamMethods> {
  return {
    async *streamLogs(req, ctx) {
      const id = checkContainerRef(req.id);
      const options = logOptionsFromProto(req);
      for await (const lines of engine.containerLogs(id, { ...options, signal: ctx.signal })) yield logLinesToProto(lines);
    },
    async *watchEvents(req, ctx) {
      const { options, services } = eventWatchFromProto(req);
      for await (const item of engine.watchEvents({ ...options, signal: ctx.signal })) {
        if (item.kind === "event" && services.size > 0 && !services.has(item.event.attributes[serviceLabel] ?? "")) continue;
        yield eventItemToProto(item);
      }
    },
    async getStats(req, ctx) {
      const id = checkContainerRef(req.id);
      for await (const sample of engine.containerStats(id, { intervalMs: 0, signal: ctx.signal })) {
        return { stats: statsToProto(sample) };
      }
      throw new DockhandError("FailedPrecondition", `read stats of container ${id}: it stopped before its usage could be measured`);
    },
    async *streamStats(req, ctx) {
      const id = checkContainerRef(req.id);
      const intervalMs = statsIntervalMs(req);
      for await (const sample of engine.containerStats(id, { intervalMs, signal: ctx.signal })) {
        yield { stats: statsToProto(sample) };
      }
    },
    async *exec(req, ctx) {
      const id = checkContainerRef(req.id);
      const options = execOptionsFromProto(req);
      for await (const item of engine.execInContainer(id, { ...options, signal: ctx.signal })) yield execItemToProto(item);
    },
  };
}
