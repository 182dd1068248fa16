import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type {
  EngineInfo,
  ImageInspection,
  ImageProgressEvent,
  ImageSummary,
  RegistryCredentials,
  SwarmMembership,
} from "../../engine/image-control.js";
import {
  SwarmState,
  type EngineInfoSchema,
  type ImageProgressSchema,
  type ImageSchema,
  type RegistryAuth,
} from "../../../gen/dockhand/v1/agent_images_pb.js";

export function imageToProto(image: ImageSummary | ImageInspection): MessageInitShape<typeof ImageSchema> {
  const config = "config" in image ? image.config : undefined;
  return {
    id: image.id,
    repoTags: image.repoTags,
    repoDigests: image.repoDigests,
    parentId: image.parentId,
    createTime: timestampFromDate(image.createdAt),
    sizeBytes: BigInt(Math.max(0, image.sizeBytes)),
    labels: image.labels,
    ...(config ? { config } : {}),
  };
}

export function progressToProto(event: ImageProgressEvent): MessageInitShape<typeof ImageProgressSchema> {
  return {
    layerId: event.layerId,
    status: event.status,
    currentBytes: BigInt(event.currentBytes),
    totalBytes: BigInt(event.totalBytes),
  };
}

export function credentialsFromProto(auth: RegistryAuth | undefined): RegistryCredentials | undefined {
  if (!auth) return undefined;
  return {
    username: auth.username,
    password: auth.password,
    identityToken: auth.identityToken,
    serverAddress: auth.serverAddress,
  };
}

const swarmStates: Record<SwarmMembership, SwarmState> = {
  inactive: SwarmState.INACTIVE,
  pending: SwarmState.PENDING,
  active: SwarmState.ACTIVE,
  error: SwarmState.ERROR,
  locked: SwarmState.LOCKED,
  unknown: SwarmState.UNSPECIFIED,
};

export function engineInfoToProto(info: EngineInfo): MessageInitShape<typeof EngineInfoSchema> {
  const { memoryBytes, swarm, ...rest } = info;
  return { ...rest, memoryBytes: BigInt(Math.max(0, memoryBytes)), swarmState: swarmStates[swarm] };
}
