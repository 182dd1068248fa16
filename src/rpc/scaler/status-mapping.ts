import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { ContainerStateName, HealthName } from "../../engine/types.js";
import type { ContainerStatusView, ServiceStatusView } from "../../orchestrator/service-status.js";
import {
  ContainerState,
  type ContainerStatusSchema,
  HealthStatus,
  ServiceStatusSchema,
  type ServiceStatus,
} from "../../../gen/dockhand/v1/scaler_pb.js";
import { protocolToProto } from "../container-fields.js";
import { updateStatusToProto } from "./update-status-mapping.js";
import { healthCounts } from "../../orchestrator/local/readiness.js";
import { autoscaleDecisionToProto } from "./autoscale-decision-mapping.js";

const states: Record<ContainerStateName, ContainerState> = {
  created: ContainerState.CREATED,
  running: ContainerState.RUNNING,
  paused: ContainerState.PAUSED,
  restarting: ContainerState.RESTARTING,
  removing: ContainerState.REMOVING,
  exited: ContainerState.EXITED,
  dead: ContainerState.DEAD,
  unknown: ContainerState.UNSPECIFIED,
};

const healths: Record<HealthName, HealthStatus> = {
  none: HealthStatus.UNSPECIFIED,
  starting: HealthStatus.STARTING,
  healthy: HealthStatus.HEALTHY,
  unhealthy: HealthStatus.UNHEALTHY,
};

export function containerStateToProto(state: ContainerStateName): ContainerState {
  return states[state];
}

export function healthToProto(health: HealthName): HealthStatus {
  return healths[health];
}

export function containerStatusToProto(c: ContainerStatusView): MessageInitShape<typeof ContainerStatusSchema> {
  return {
    id: c.id,
    name: c.name,
    slot: c.slot,
    state: states[c.state],
    health: healths[c.health],
    ports: c.ports.map((p) => ({
      containerPort: p.containerPort,
      protocol: protocolToProto(p.protocol),
      hostIp: p.hostIp,
      hostPort: p.hostPort,
    })),
    startTime: c.startedAt ? timestampFromDate(c.startedAt) : undefined,
    definitionVersion: BigInt(c.definitionVersion),
    exitCode: c.exitCode,
    nodeId: c.node?.id ?? "",
    nodeName: c.node?.name ?? "",
  };
}

export function statusToProto(view: ServiceStatusView): ServiceStatus {
  return create(ServiceStatusSchema, {
    name: view.name,
    desired: view.desired,
    running: view.running,
    paused: view.paused,
    ...healthCounts(view.containers),
    version: BigInt(view.version),
    containers: view.containers.map(containerStatusToProto),
    crashLooping: view.crashLooping,
    update: updateStatusToProto(view),
    failures: view.failures.map((f) => ({
      slot: f.slot,
      exitCode: f.exitCode,
      reason: f.reason,
      time: timestampFromDate(f.at),
      consecutiveFailures: f.consecutive,
      nextAttemptTime: timestampFromDate(f.nextAttemptAt),
    })),
    drift: view.drift
      ? {
          what: view.drift.what,
          detectedTime: timestampFromDate(view.drift.detectedAt),
          repairedTime: view.drift.repairedAt ? timestampFromDate(view.drift.repairedAt) : undefined,
        }
      : undefined,
    conditions: view.conditions.map((c) => ({
      type: c.type,
      message: c.message,
      slot: c.slot,
      firstSeenTime: c.firstSeenAt ? timestampFromDate(c.firstSeenAt) : undefined,
      lastSeenTime: c.lastSeenAt ? timestampFromDate(c.lastSeenAt) : undefined,
      count: c.count,
    })),
    lastAutoscaleDecision: autoscaleDecisionToProto(view.lastAutoscaleDecision),
  });
}
