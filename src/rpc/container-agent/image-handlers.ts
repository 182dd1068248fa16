import type { ServiceImpl } from "@connectrpc/connect";
import type { Engine } from "../../engine/engine.js";
import type { ImageProgressEvent } from "../../engine/image-control.js";
import { DockhandError, invalidArgument, isDockhandError } from "../../model/dockhand-error.js";
import type { LoadImageRequest } from "../../../gen/dockhand/v1/agent_images_pb.js";
import type { ContainerAgent } from "../../../gen/dockhand/v1/container_agent_pb.js";
import { downloadArchive, inlineArchive, type ArchiveSource } from "./archive-source.js";
import { createLoadUrlPolicy } from "./load-url-policy.js";
import { checkImageRef, checkLabelFilters, checkTaggedRef, checkUrl } from "./image-request-rules.js";
import { credentialsFromProto, engineInfoToProto, imageToProto, progressToProto } from "./image-mapping.js";
import { progressStream } from "./progress-stream.js";

type ImageMethods =
  | "listImages" | "getImage" | "deleteImage" | "tagImage" | "pullImage" | "pushImage" | "loadImage" | "getInfo";

/** The server's LoadImage limits (see Config). */
export interface ImageLimits {
  loadMaxBytes: number;
  loadInlineMaxBytes: number;
  loadTimeoutMs: number;
  /** Hosts, IP addresses or CIDRs downloads may reach; empty or unset: any but link-local and metadata addresses. */
  loadAllowedHosts?: readonly string[];
}

export interface ImageHandlerDeps {
  engine: Engine;
  limits: ImageLimits;
}

/** ContainerAgent's image and engine methods: validate, call the engine, map to proto. */
export function createImageHandlers(deps: ImageHandlerDeps): Pick<ServiceImpl<typeof ContainerAgent>, ImageMethods> {
  const { engine, limits } = deps;
  const urlPolicy = createLoadUrlPolicy({ allowedHosts: limits.loadAllowedHosts });

  async function openArchive(source: LoadImageRequest["source"], signal: AbortSignal): Promise<ArchiveSource> {
    if (source.case === "url") {
      const url = checkUrl(source.value, "url");
      return downloadArchive(url, { maxBytes: limits.loadMaxBytes, timeoutMs: limits.loadTimeoutMs, urlPolicy }, signal);
    }
    if (source.case !== "archive") throw invalidArgument("source", "set either url or archive");
    const bytes = source.value;
    if (bytes.length === 0) throw invalidArgument("archive", "is empty");
    if (bytes.length > limits.loadInlineMaxBytes) {
      throw new DockhandError(
        "ResourceExhausted",
        `archive: ${bytes.length} bytes is over the inline limit of ${limits.loadInlineMaxBytes} bytes; pass a url instead`,
        { details: { field: "archive", limitBytes: limits.loadInlineMaxBytes } },
      );
    }
    return inlineArchive(bytes, { maxBytes: limits.loadMaxBytes });
  }

  return {
    async listImages(req, context) {
      checkLabelFilters(req.labels, "labels");
      const images = await engine.listImages(
        { all: req.all, labels: req.labels, reference: req.reference, danglingOnly: req.danglingOnly },
        context.signal,
      );
      images.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
      return { images: images.map(imageToProto) };
    },

    async getImage(req, context) {
      return { image: imageToProto(await engine.getImage(checkImageRef(req.image, "image"), context.signal)) };
    },

    async deleteImage(req, context) {
      const ref = checkImageRef(req.image, "image");
      try {
        return await engine.removeImage(ref, { force: req.force, noPrune: req.noPrune }, context.signal);
      } catch (err) {
        if (req.allowMissing && isDockhandError(err, "NotFound")) return { untagged: [], deleted: [] };
        throw err;
      }
    },

    async tagImage(req, context) {
      const source = checkImageRef(req.source, "source");
      const target = checkTaggedRef(req.target, "target");
      await engine.tagImage(source, target, context.signal);
      return { image: imageToProto(await engine.getImage(target, context.signal)) };
    },

    async *pullImage(req, context) {
      const ref = checkImageRef(req.image, "image");
      const credentials = credentialsFromProto(req.auth);
      const items = progressStream<ImageProgressEvent, Awaited<ReturnType<Engine["pullImage"]>>>((onProgress) =>
        engine.pullImage(ref, { credentials, onProgress, signal: context.signal }),
      );
      for await (const item of items) {
        yield item.kind === "progress"
          ? { event: { case: "progress", value: progressToProto(item.value) } }
          : { event: { case: "result", value: item.value } };
      }
    },

    async *pushImage(req, context) {
      const ref = checkTaggedRef(req.image, "image");
      const credentials = credentialsFromProto(req.auth);
      const items = progressStream<ImageProgressEvent, Awaited<ReturnType<Engine["pushImage"]>>>((onProgress) =>
        engine.pushImage(ref, { credentials, onProgress, signal: context.signal }),
      );
      for await (const item of items) {
        yield item.kind === "progress"
          ? { event: { case: "progress", value: progressToProto(item.value) } }
          : { event: { case: "result", value: { ...item.value, manifestSizeBytes: BigInt(item.value.manifestSizeBytes) } } };
      }
    },

    async loadImage(req, context) {
      const archive = await openArchive(req.source, context.signal);
      const images = await engine.loadImage(archive.stream, context.signal);
      return { images, archiveBytes: BigInt(archive.receivedBytes()) };
    },

    async getInfo(_req, context) {
      return { info: engineInfoToProto(await engine.engineInfo(context.signal)) };
    },
  };
}
