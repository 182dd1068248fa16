/**
 * A container as the Container message, in its two views: what every group that returns a
 * container (the container verbs and the lifecycle verbs) answers with.
 */
import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import type { ContainerDescription, ContainerSummary } from "../../engine/types.js";
import { ContainerSchema, type Container } from "../../../gen/dockhand/v1/agent_containers_pb.js";
import type { PublishedPort } from "../../../gen/dockhand/v1/scaler_pb.js";
import { protocolToProto, restartModeToProto } from "../container-fields.js";
import { containerStateToProto, healthToProto } from "../scaler/status-mapping.js";

/**
 * Every field at its default. A listing maps hundreds of containers per call, and spreading
 * this is several times cheaper than `create()`, which walks the schema for each message.
 */
const emptyContainer: Readonly<Container> = Object.freeze(create(ContainerSchema));

function timestamp(date: Date): Timestamp {
  const ms = date.getTime();
  const seconds = Math.floor(ms / 1000);
  return { $typeName: "google.protobuf.Timestamp", seconds: BigInt(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}

/** The fields the engine's list call fills, nested messages included. */
function basicFields(summary: ContainerSummary) {
  return {
    id: summary.id,
    name: summary.name,
    image: summary.image,
    imageId: summary.imageId,
    state: containerStateToProto(summary.state),
    status: summary.status,
    labels: summary.labels,
    createTime: timestamp(summary.createdAt),
    ports: summary.ports.map((port): PublishedPort => ({
      $typeName: "dockhand.v1.PublishedPort",
      containerPort: port.containerPort,
      protocol: protocolToProto(port.protocol),
      hostIp: port.hostIp,
      hostPort: port.hostPort,
    })),
  };
}

/** CONTAINER_VIEW_BASIC: what the engine's list call knows. */
export function summaryToProto(summary: ContainerSummary): Container {
  return { ...emptyContainer, ...basicFields(summary) };
}

/** CONTAINER_VIEW_FULL: every field. */
export function descriptionToProto(described: ContainerDescription): Container {
  const full = create(ContainerSchema, {
    health: healthToProto(described.health),
    startTime: described.startedAt ? timestampFromDate(described.startedAt) : undefined,
    finishTime: described.finishedAt ? timestampFromDate(described.finishedAt) : undefined,
    exitCode: described.exitCode,
    restartCount: described.restartCount,
    error: described.error,
    command: described.command,
    resources: { memoryBytes: BigInt(described.memoryBytes), cpuMillis: Math.round(described.nanoCpus / 1_000_000) },
    restartPolicy: { mode: restartModeToProto[described.restart.mode], maxRetries: described.restart.maxRetries },
    init: described.init,
    stopGracePeriod:
      described.stopGraceSeconds === undefined ? undefined : durationFromMs(described.stopGraceSeconds * 1000),
    hostAccess: described.hostAccess,
    mounts: described.mounts.map((mount) => ({
      containerPath: mount.target,
      source:
        mount.type === "bind"
          ? { case: "hostPath" as const, value: mount.source }
          : { case: "volume" as const, value: mount.source },
      readOnly: mount.readOnly,
    })),
  });
  return { ...full, ...basicFields(described) };
}
