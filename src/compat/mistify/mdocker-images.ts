import { Readable } from "node:stream";
import type { Engine } from "../../engine/engine.js";
import type { ImageDetails } from "../../engine/types.js";
import { DockhandError, isDockhandError } from "../../model/dockhand-error.js";
import { downloadArchive } from "../../rpc/container-agent/archive-source.js";
import { checkImageRef } from "../../rpc/container-agent/images.js";
import type { LoadUrlPolicy } from "../../rpc/container-agent/load-url-policy.js";
import { member, RpcMethodError, unmarshalError } from "./json-rpc-envelope.js";
import { asMethodError } from "./mistify-errors.js";
import { retagImageArchive } from "./retag-image-archive.js";

type Method = (param: unknown, signal: AbortSignal) => Promise<unknown>;
type ImageMethods = "ListImages" | "GetImage" | "DeleteImage" | "LoadImage" | "GetInfo";

export interface ImageMethodDeps {
  engine: Engine;
  /** `HOST:PORT` of the image service LoadImage downloads from. */
  imageService: () => Promise<string>;
  /** LoadImage's size and time limits, as the typed API's. */
  limits: { maxBytes: number; timeoutMs: number };
  /** LoadImage's URL policy, as the typed API's. */
  urlPolicy: LoadUrlPolicy;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** One repository path component, as an image id must be to become `<id>:latest`. */
const repositoryName = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const MiB = 1024 * 1024;

function idOf(param: unknown): string {
  if (param !== undefined && (param === null || typeof param !== "object" || Array.isArray(param)))
    throw unmarshalError(param, "rpc.ImageRequest");
  const id = param === undefined ? undefined : member(param as Record<string, unknown>, "id");
  if (id !== undefined && id !== null && typeof id !== "string") throw unmarshalError(id, "string");
  return (id as string | undefined) ?? "";
}

const imageResult = (id: string, image: ImageDetails) => ({
  images: [{ id, type: "container", size: Math.floor(image.sizeBytes / MiB) }],
});

/** MDocker's image methods and GetInfo, over the engine module and LoadImage's download rules. */
export function createImageMethods(deps: ImageMethodDeps): Record<ImageMethods, Method> {
  const { engine } = deps;
  const inspect = (id: string, signal: AbortSignal) => {
    try {
      checkImageRef(id, "id");
    } catch {
      // The seed asked the engine, which knows no such image.
      throw new RpcMethodError("no such image");
    }
    return asMethodError({ image: id }, () => engine.images.describe(id, signal));
  };

  async function download(id: string, signal: AbortSignal): Promise<void> {
    const hostPort = await asMethodError({}, deps.imageService);
    const url = `http://${hostPort}/images/${encodeURIComponent(id)}/download`;
    await asMethodError({}, async () => {
      let archive;
      try {
        archive = await downloadArchive(url, { ...deps.limits, urlPolicy: deps.urlPolicy }, signal);
      } catch (err) {
        const status = isDockhandError(err) ? err.details.httpStatus : undefined;
        if (typeof status === "number")
          throw new RpcMethodError(`unexpected http response code: expected 200, received ${status}, url: ${url}`);
        throw err;
      }
      await engine.images.load(Readable.from(retagImageArchive(archive.stream, id)), signal);
    });
  }

  return {
    async ListImages(_param, signal) {
      const images = await asMethodError({}, () => engine.images.list({ all: false }, signal));
      const listed = images.flatMap((image) => {
        // An image without tags is skipped (the seed crashed on it).
        const repo = image.repoTags.map((tag) => tag.slice(0, tag.lastIndexOf(":"))).find((r) => uuid.test(r));
        return repo === undefined ? [] : [{ id: repo, type: "container", size: Math.floor(image.sizeBytes / MiB) }];
      });
      return { images: listed };
    },
    async GetImage(param, signal) {
      const id = idOf(param);
      return imageResult(id, await inspect(id, signal));
    },
    async DeleteImage(param, signal) {
      const id = idOf(param);
      const image = await inspect(id, signal);
      await asMethodError({ image: id }, () => engine.images.remove(id, { force: false, noPrune: false }, signal));
      return imageResult(id, image);
    },
    async LoadImage(param, signal) {
      const id = idOf(param);
      if (!repositoryName.test(id))
        throw new RpcMethodError(
          `id: "${id.slice(0, 80)}" is not an image id (lower-case letters, digits and separators, such as a UUID)`,
        );
      try {
        return imageResult(id, await engine.images.describe(id, signal));
      } catch (err) {
        if (!isDockhandError(err, "NotFound")) throw new RpcMethodError((err as Error).message, { cause: err });
      }
      await download(id, signal);
      try {
        return imageResult(id, await engine.images.describe(id, signal));
      } catch (err) {
        if (isDockhandError(err, "NotFound"))
          throw new RpcMethodError("no such image", {
            cause: new DockhandError("NotFound", `the archive loaded, but not as ${id}:latest`),
          });
        throw err;
      }
    },
    async GetInfo(_param, signal) {
      const info = await asMethodError({}, () => engine.system.info(signal));
      return {
        ID: info.id,
        Containers: info.containers,
        ContainersRunning: info.containersRunning,
        ContainersPaused: info.containersPaused,
        ContainersStopped: info.containersStopped,
        Images: info.images,
        Driver: info.storageDriver,
        NCPU: info.cpus,
        MemTotal: info.memoryBytes,
        Name: info.name,
        ServerVersion: info.engineVersion,
        KernelVersion: info.kernelVersion,
        OperatingSystem: info.operatingSystem,
        OSType: info.os,
        Architecture: info.architecture,
      };
    },
  };
}
