import type { ServiceImpl } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ServiceRegistry } from "../../registry/service-registry.js";
import type { Orchestrator } from "../../orchestrator/orchestrator.js";
import type { ServicesWatcher } from "../../orchestrator/services-watcher.js";
import { invalidArgument } from "../../model/dockhand-error.js";
import { checkServiceName } from "../../model/definition-rules.js";
import { Scaler, ScaleWaitFor } from "../../../gen/dockhand/v1/scaler_pb.js";
import { serviceToProto } from "../service-registry/service-mapping.js";
import { containerStatusToProto, statusToProto } from "./status-mapping.js";
import { streamServiceLogs } from "./service-logs.js";

/** A Scale without `replicas` is a client's mistake (an old field name, a typo), never a scale to 0. */
function requiredReplicas(name: string, replicas: number | undefined): number {
  checkServiceName(name);
  if (replicas === undefined)
    throw invalidArgument("replicas", "is required (0 removes every container of the service)");
  return replicas;
}

function scaleWaitFor(waitFor: ScaleWaitFor): "running" | "ready" {
  if (waitFor === ScaleWaitFor.READY) return "ready";
  if (waitFor === ScaleWaitFor.RUNNING || waitFor === ScaleWaitFor.UNSPECIFIED) return "running";
  throw invalidArgument("wait_for", `unknown value ${waitFor}`);
}

export interface ScalerServiceDeps {
  orchestrator: Orchestrator;
  servicesWatcher: ServicesWatcher;
  registry: ServiceRegistry;
}

export function createScalerService({
  orchestrator,
  servicesWatcher,
  registry,
}: ScalerServiceDeps): ServiceImpl<typeof Scaler> {
  return {
    async scale(req, ctx) {
      const waitFor = scaleWaitFor(req.waitFor);
      const view = await orchestrator.scale(req.name, requiredReplicas(req.name, req.replicas), {
        wait: req.wait ?? true,
        signal: ctx.signal,
        waitFor,
      });
      return { status: statusToProto(view) };
    },
    async getStatus(req) {
      return { status: statusToProto(await orchestrator.status(req.name)) };
    },
    async *watchStatus(req, ctx) {
      for await (const view of orchestrator.watch(req.name, ctx.signal)) yield { status: statusToProto(view) };
    },
    streamServiceLogs: (req, ctx) => streamServiceLogs(orchestrator, req, ctx),
    async *watchServices(_req, ctx) {
      for await (const change of servicesWatcher.watch(ctx.signal)) {
        yield { reset: change.reset, statuses: change.statuses.map(statusToProto), removed: change.removed };
      }
    },
    async rollback(req) {
      registry.get(req.name);
      const service = await registry.rollback(req.name);
      return { service: serviceToProto(service) };
    },
    async promote(req) {
      registry.get(req.name);
      return { service: serviceToProto(await registry.promote(req.name)) };
    },
    async listUnusedVolumes() {
      const unused = await orchestrator.unusedVolumes();
      return {
        volumes: unused.map((u) => ({
          name: u.volume.name,
          service: u.service,
          slot: u.slot,
          createTime: u.volume.createdAt ? timestampFromDate(u.volume.createdAt) : undefined,
        })),
      };
    },
    async listOrphans() {
      const orphans = await orchestrator.orphans();
      return {
        orphans: orphans
          .sort((a, b) => a.service.localeCompare(b.service) || a.container.slot - b.container.slot)
          .map((o) => ({
            service: o.service,
            container: containerStatusToProto(o.container),
            firstSeenTime: timestampFromDate(o.firstSeen),
            removeTime: timestampFromDate(o.removeAt),
          })),
      };
    },
  };
}
