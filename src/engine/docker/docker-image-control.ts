import type { Readable } from "node:stream";
import type Docker from "dockerode";
import { DockhandError } from "../../model/dockhand-error.js";
import type { ImageControl, RegistryCredentials, TransferOptions } from "../image-control.js";
import type { EngineCall } from "./docker-deadline.js";
import { engineCall } from "./docker-errors.js";
import { toImageInspection, toImageSummary } from "./docker-image-mapping.js";
import { toImageDetails } from "./docker-mapping.js";
import { EngineStreamError, followStream, toProgressEvent, type EngineStreamMessage } from "./docker-progress.js";
import { toTransferError } from "./registry-failure.js";

/** Splits `repo[:tag][@digest]`; `version` is the digest, else the tag, else `latest`. */
export function splitReference(ref: string): { repository: string; version: string; explicit: string } {
  const at = ref.indexOf("@");
  if (at >= 0) return { repository: ref.slice(0, at), version: ref.slice(at + 1), explicit: ref };
  const colon = ref.lastIndexOf(":");
  if (colon > ref.lastIndexOf("/"))
    return { repository: ref.slice(0, colon), version: ref.slice(colon + 1), explicit: ref };
  return { repository: ref, version: "latest", explicit: `${ref}:latest` };
}

/** The X-Registry-Auth payload; `{}` for anonymous, which push requires to be present. */
function authConfig(credentials: RegistryCredentials | undefined): Record<string, string> {
  const auth: Record<string, string> = {};
  if (credentials?.username) auth.username = credentials.username;
  if (credentials?.password) auth.password = credentials.password;
  if (credentials?.identityToken) auth.identitytoken = credentials.identityToken;
  if (credentials?.serverAddress) auth.serveraddress = credentials.serverAddress;
  return auth;
}

const loadedPattern = /^Loaded image(?: ID)?: (.+)$/gm;

/**
 * Images through dockerode. Pull, push and load follow the engine's progress stream, however
 * long it takes, and get no default deadline; the other calls go through `call`.
 */
export function createDockerImageControl(docker: Docker, call: EngineCall): ImageControl {
  async function transfer(operation: string, start: () => Promise<NodeJS.ReadableStream>, options: TransferOptions) {
    try {
      const stream = await start();
      return await followStream(docker, stream, (message) => {
        if (message.status !== undefined) options.onProgress?.(toProgressEvent(message));
      });
    } catch (err) {
      throw toTransferError(err, operation);
    }
  }

  return {
    // dockerode's image inspect takes no abort signal: the deadline fails the call without aborting it.
    inspect: (ref, signal) =>
      call(`inspect image ${ref}`, signal, async () => toImageDetails(await docker.getImage(ref).inspect())),

    async pull(ref, options = {}) {
      const { repository, version, explicit } = splitReference(ref);
      const operation = `pull image ${explicit}`;
      const messages = await transfer(
        operation,
        () =>
          docker.createImage(authConfig(options.credentials), {
            fromImage: repository,
            tag: version,
            abortSignal: options.signal,
          }),
        options,
      );
      const image = await engineCall(operation, () => docker.getImage(explicit).inspect());
      // The "Digest:" line names this pull's manifest exactly; RepoDigests may also hold the
      // digests of other tags of the repository, so it is only the fallback.
      const fromStatus = messages.map((m) => /^Digest: (\S+)/.exec(m.status ?? "")?.[1]).find(Boolean);
      const fromImage = (image.RepoDigests ?? [])
        .find((d) => d.startsWith(`${repository}@`))
        ?.slice(repository.length + 1);
      return { image: explicit, imageId: image.Id, digest: fromStatus ?? fromImage ?? "" };
    },

    async push(ref, options = {}) {
      const { repository, version } = splitReference(ref);
      const operation = `push image ${ref}`;
      // Checked first so that a missing image is a structured NotFound, not an in-stream text.
      await engineCall(operation, () => docker.getImage(ref).inspect());
      const image = docker.getImage(repository);
      const messages = await transfer(
        operation,
        () => image.push({ tag: version, authconfig: authConfig(options.credentials), abortSignal: options.signal }),
        options,
      );
      const aux = messages.map((m: EngineStreamMessage) => m.aux).find((a) => a?.Digest !== undefined);
      return { image: ref, digest: String(aux?.Digest ?? ""), manifestSizeBytes: Number(aux?.Size ?? 0) };
    },

    list: (query, signal) =>
      call("list images", signal, async (abortSignal) => {
        const filters: Record<string, string[]> = {};
        if (query.labels?.length) filters.label = query.labels;
        if (query.reference) filters.reference = [query.reference];
        if (query.danglingOnly) filters.dangling = ["true"];
        const images = await docker.listImages({ all: query.all, filters, abortSignal } as Docker.ListImagesOptions);
        return images.map(toImageSummary);
      }),

    describe: (ref, signal) =>
      call(`inspect image ${ref}`, signal, async () => toImageInspection(await docker.getImage(ref).inspect())),

    remove: (ref, options, signal) =>
      call(`remove image ${ref}`, signal, async (abortSignal) => {
        const operation = `remove image ${ref}`;
        const image = await docker.getImage(ref).inspect();
        const tags = (image.RepoTags ?? []).filter((t) => !t.startsWith("<none>"));
        // Removing one of several tags leaves the image, so it cannot hurt a container using it.
        const onlyUntags = tags.length > 1 && tags.includes(splitReference(ref).explicit);
        if (!onlyUntags) {
          const users = await docker.listContainers({ all: true, filters: { ancestor: [image.Id] }, abortSignal });
          const user = users.find((c) => c.ImageID === image.Id);
          if (user) {
            const name = (user.Names[0] ?? "").replace(/^\//, "");
            throw new DockhandError(
              "Conflict",
              `${operation}: container ${name} (${user.Id.slice(0, 12)}, ${user.State}) uses the image; remove the container first`,
              { details: { field: "image", containerId: user.Id } },
            );
          }
        }
        const removed = await docker
          .getImage(ref)
          .remove({ force: options.force, noprune: options.noPrune, abortSignal });
        const items = removed as Array<{ Untagged?: string; Deleted?: string }>;
        return {
          untagged: items.flatMap((i) => (i.Untagged ? [i.Untagged] : [])),
          deleted: items.flatMap((i) => (i.Deleted ? [i.Deleted] : [])),
        };
      }),

    tag: (source, target, signal) =>
      call(`tag image ${source} as ${target}`, signal, async (abortSignal) => {
        const { repository, version } = splitReference(target);
        await docker.getImage(source).tag({ repo: repository, tag: version, abortSignal });
      }),

    async load(archive: Readable, signal) {
      let sourceError: unknown;
      archive.once("error", (err) => (sourceError = err));
      try {
        const stream = (await docker.loadImage(archive, { abortSignal: signal })) as NodeJS.ReadableStream;
        const messages = await followStream(docker, stream);
        if (sourceError) throw sourceError;
        const text = messages.map((m) => m.stream ?? "").join("");
        return [...text.matchAll(loadedPattern)].map((match) => match[1]!.trim());
      } catch (err) {
        // A failing source (too large, download broken) explains the failure better than the
        // aborted request it causes.
        if (sourceError) throw sourceError;
        if (err instanceof EngineStreamError) {
          throw new DockhandError("InvalidArgument", `archive: the engine could not load it: ${err.message}`, {
            cause: err,
            details: { field: "archive" },
          });
        }
        throw toTransferError(err, "load image archive");
      } finally {
        archive.destroy();
      }
    },
  };
}
