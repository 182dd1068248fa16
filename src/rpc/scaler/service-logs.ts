import type { HandlerContext } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { invalidArgument } from "../../model/dockhand-error.js";
import { checkServiceName } from "../../model/definition-rules.js";
import type { Orchestrator } from "../../orchestrator/orchestrator.js";
import type { StreamServiceLogsRequest, StreamServiceLogsResponseSchema } from "../../../gen/dockhand/v1/scaler_pb.js";

/** Scaler.StreamServiceLogs: every container's lines of a service, merged by the backend, each with its slot and node. */
export async function* streamServiceLogs(
  orchestrator: Pick<Orchestrator, "serviceLogs" | "status">,
  req: StreamServiceLogsRequest,
  ctx: HandlerContext,
): AsyncGenerator<MessageInitShape<typeof StreamServiceLogsResponseSchema>> {
  checkServiceName(req.name);
  if (req.tail !== undefined && req.tail < 0) throw invalidArgument("tail", `must not be negative (got ${req.tail})`);
  // NotFound before the stream starts, for a service with no definition.
  await orchestrator.status(req.name);
  for await (const line of orchestrator.serviceLogs(req.name, {
    follow: req.follow,
    tail: req.tail,
    signal: ctx.signal,
  })) {
    yield {
      slot: line.slot,
      containerId: line.containerId,
      nodeId: line.node?.id ?? "",
      nodeName: line.node?.name ?? "",
      stderr: line.stream === "stderr",
      line: line.line,
      time: timestampFromDate(line.at),
      continued: line.continued === true,
    };
  }
}
