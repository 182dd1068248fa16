import type { ServiceImpl } from "@connectrpc/connect";
import type { Scaler as DomainScaler } from "../scaler/service-scaler.js";
import type { StatusWatcher } from "../scaler/status-watcher.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { statusToProto } from "./status-mapping.js";

export function createScalerService(scaler: DomainScaler, watcher: StatusWatcher): ServiceImpl<typeof Scaler> {
  return {
    async scale(req, ctx) {
      const view = await scaler.scale(req.name, req.replicas, { wait: req.wait ?? true, signal: ctx.signal });
      return { status: statusToProto(view) };
    },
    async getStatus(req) {
      return { status: statusToProto(await scaler.status(req.name)) };
    },
    async *watchStatus(req, ctx) {
      for await (const view of watcher.watch(req.name, ctx.signal)) yield { status: statusToProto(view) };
    },
  };
}
