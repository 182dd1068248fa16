/**
 * ContainerAgent's image verbs that move images in or out of the engine: PullImage and
 * PushImage (streaming the engine's progress) and LoadImage (an archive sent inline or
 * downloaded under the server's limits and URL policy).
 */
import type { ServiceImpl } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Engine } from "../../engine/engine.js";
import type { ImageProgressEvent, RegistryCredentials } from "../../engine/image-control.js";
import { DockhandError, invalidArgument } from "../../model/dockhand-error.js";
import type { ImageProgressSchema, LoadImageRequest, RegistryAuth } from "../../../gen/dockhand/v1/agent_images_pb.js";
import type { ContainerAgent } from "../../../gen/dockhand/v1/container_agent_pb.js";
import { downloadArchive, inlineArchive, type ArchiveSource } from "./archive-source.js";
import { checkImageRef, checkTaggedRef } from "./images.js";
import { createLoadUrlPolicy } from "./load-url-policy.js";
import { checkUrl } from "./policed-get.js";
import { progressStream } from "./progress-stream.js";

type TransferMethods = "pullImage" | "pushImage" | "loadImage";

/** The server's LoadImage limits (see Config). */
export interface ImageLimits {
  loadMaxBytes: number;
  loadInlineMaxBytes: number;
  loadTimeoutMs: number;
  /** Hosts, IP addresses or CIDRs downloads may reach; empty or unset: any but link-local and metadata addresses. */
  loadAllowedHosts?: readonly string[];
}

function progressToProto(event: ImageProgressEvent): MessageInitShape<typeof ImageProgressSchema> {
  return {
    layerId: event.layerId,
    status: event.status,
    currentBytes: BigInt(event.currentBytes),
    totalBytes: BigInt(event.totalBytes),
  };
}

/** Only the credentials themselves reach the engine call, not the rest of the message. */
function credentialsFromProto(auth: RegistryAuth | undefined): RegistryCredentials | undefined {
  if (!auth) return undefined;
  const { username, password, identityToken, serverAddress } = auth;
  return { username, password, identityToken, serverAddress };
}

/** A pull's or push's progress events, then its result, as the messages of its response stream. */
async function* transferEvents<R, M>(
  run: (onProgress: (event: ImageProgressEvent) => void) => Promise<R>,
  resultToProto: (result: R) => M,
) {
  for await (const item of progressStream<ImageProgressEvent, R>(run)) {
    yield item.kind === "progress"
      ? { event: { case: "progress" as const, value: progressToProto(item.value) } }
      : { event: { case: "result" as const, value: resultToProto(item.value) } };
  }
}

export function createImageTransferMethods(
  engine: Engine,
  limits: ImageLimits,
): Pick<ServiceImpl<typeof ContainerAgent>, TransferMethods> {
  const urlPolicy = createLoadUrlPolicy({ allowedHosts: limits.loadAllowedHosts });

  async function openArchive(source: LoadImageRequest["source"], signal: AbortSignal): Promise<ArchiveSource> {
    if (source.case === "url") {
      const url = checkUrl(source.value, "url");
      return downloadArchive(
        url,
        { maxBytes: limits.loadMaxBytes, timeoutMs: limits.loadTimeoutMs, urlPolicy },
        signal,
      );
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
    async *pullImage(req, ctx) {
      const ref = checkImageRef(req.image, "image");
      const credentials = credentialsFromProto(req.auth);
      yield* transferEvents(
        (onProgress) => engine.images.pull(ref, { credentials, onProgress, signal: ctx.signal }),
        (result) => result,
      );
    },
    async *pushImage(req, ctx) {
      const ref = checkTaggedRef(req.image, "image");
      const credentials = credentialsFromProto(req.auth);
      yield* transferEvents(
        (onProgress) => engine.images.push(ref, { credentials, onProgress, signal: ctx.signal }),
        (result) => ({ ...result, manifestSizeBytes: BigInt(result.manifestSizeBytes) }),
      );
    },
    async loadImage(req, ctx) {
      const archive = await openArchive(req.source, ctx.signal);
      const images = await engine.images.load(archive.stream, ctx.signal);
      return { images, archiveBytes: BigInt(archive.receivedBytes()) };
    },
  };
}
