/**
 * ContainerAgent's image verbs that stay on the engine (list, get, delete, tag) and GetInfo:
 * the rules for image references, the calls, and the Image and EngineInfo messages.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Engine } from "../../engine/engine.js";
import type { ImageInspection, ImageSummary } from "../../engine/image-control.js";
import type { EngineInfo, SwarmMembership } from "../../engine/system-control.js";
import { invalidArgument, isDockhandError } from "../../model/dockhand-error.js";
import { parseImageReference } from "../../model/image-reference.js";
import { quote } from "../../model/quote.js";
import { SwarmState, type EngineInfoSchema, type ImageSchema } from "../../../gen/dockhand/v1/agent_images_pb.js";
import type { ContainerAgent } from "../../../gen/dockhand/v1/container_agent_pb.js";

type ImageMethods = "listImages" | "getImage" | "deleteImage" | "tagImage" | "getInfo";

/** An image reference or image id (`sha256:<hex>` parses as one); returns it unchanged. */
export function checkImageRef(ref: string, field: string): string {
  if (ref === "") throw invalidArgument(field, "is required");
  const parsed = parseImageReference(ref);
  if (typeof parsed === "string") throw invalidArgument(field, `${quote(ref)} ${parsed}`);
  return ref;
}

/** `repository:tag`, as a tag target or a push needs: a tag and no digest. */
export function checkTaggedRef(ref: string, field: string): string {
  checkImageRef(ref, field);
  const parsed = parseImageReference(ref);
  if (typeof parsed !== "string" && (parsed.tag === undefined || parsed.digest !== undefined)) {
    throw invalidArgument(field, `${quote(ref)} must be repository:tag, for example "${parsed.repository}:1.0"`);
  }
  return ref;
}

/** Label filters: each `key` or `key=value` with a non-empty key. */
function checkLabelFilters(labels: readonly string[], field: string): void {
  labels.forEach((label, i) => {
    if (label.split("=", 1)[0]!.trim() === "")
      throw invalidArgument(`${field}[${i}]`, `${quote(label)} needs a label key`);
  });
}

function imageToProto(image: ImageSummary | ImageInspection): MessageInitShape<typeof ImageSchema> {
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

const swarmStates: Record<SwarmMembership, SwarmState> = {
  inactive: SwarmState.INACTIVE,
  pending: SwarmState.PENDING,
  active: SwarmState.ACTIVE,
  error: SwarmState.ERROR,
  locked: SwarmState.LOCKED,
  unknown: SwarmState.UNSPECIFIED,
};

function engineInfoToProto(info: EngineInfo): MessageInitShape<typeof EngineInfoSchema> {
  const { memoryBytes, swarm, ...rest } = info;
  return { ...rest, memoryBytes: BigInt(Math.max(0, memoryBytes)), swarmState: swarmStates[swarm] };
}

export function createImageMethods(engine: Engine): Pick<ServiceImpl<typeof ContainerAgent>, ImageMethods> {
  return {
    async listImages(req, ctx) {
      checkLabelFilters(req.labels, "labels");
      const images = await engine.images.list(
        { all: req.all, labels: req.labels, reference: req.reference, danglingOnly: req.danglingOnly },
        ctx.signal,
      );
      images.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
      return { images: images.map(imageToProto) };
    },
    async getImage(req, ctx) {
      return { image: imageToProto(await engine.images.describe(checkImageRef(req.image, "image"), ctx.signal)) };
    },
    async deleteImage(req, ctx) {
      const ref = checkImageRef(req.image, "image");
      try {
        return await engine.images.remove(ref, { force: req.force, noPrune: req.noPrune }, ctx.signal);
      } catch (err) {
        if (req.allowMissing && isDockhandError(err, "NotFound")) return { untagged: [], deleted: [] };
        throw err;
      }
    },
    async tagImage(req, ctx) {
      const source = checkImageRef(req.source, "source");
      const target = checkTaggedRef(req.target, "target");
      await engine.images.tag(source, target, ctx.signal);
      return { image: imageToProto(await engine.images.describe(target, ctx.signal)) };
    },
    async getInfo(_req, ctx) {
      return { info: engineInfoToProto(await engine.system.info(ctx.signal)) };
    },
  };
}
