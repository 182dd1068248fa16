import type { ServiceImpl } from "@connectrpc/connect";
import type { Scaler as DomainScaler } from "../scaler/service-scaler.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { statusToProto } from "./status-mapping.js";

export function createScalerService(scaler: DomainScaler): ServiceImpl<typeof Scaler> {
  return {
    async scale(req, ctx) {
      const view = await scaler.scale(req.name, req.replicas, { wait: req.wait ?? true, signal: ctx.signal });
      return { status: statusToProto(view) };
    },
    async getStatus(req) {
      return { status: statusToProto(await scaler.status(req.name)) };
    },
  };
}
