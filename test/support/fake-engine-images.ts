/**
 * The fake engine's images: present ones (added by the test, pulled from the fake "registry",
 * committed or loaded), with the real engine's answers for a missing or used image.
 */
import { randomBytes } from "node:crypto";
import { DockhandError } from "../../src/model/dockhand-error.js";
import { matchesLabelFilters } from "../../src/engine/container-query.js";
import type { ImageControl } from "../../src/engine/image-control.js";
import {
  checkReachable,
  emitEvent,
  findImage,
  imageDetails,
  newImage,
  tick,
  type FakeEngineState,
} from "./fake-engine-state.js";

const newId = () => `sha256:${randomBytes(32).toString("hex")}`;

export function createFakeImages(state: FakeEngineState): ImageControl {
  const reach = async (ref: string) => {
    await tick();
    checkReachable(state);
    const image = findImage(state, ref);
    if (!image) throw new DockhandError("NotFound", `No such image: ${ref}`);
    return image;
  };
  const imageEvent = (action: string, id: string, name: string) =>
    emitEvent(state, { type: "image", action, detail: "", id, attributes: { name } });

  return {
    inspect: async (ref) => imageDetails(await reach(ref)),
    describe: async (ref) => {
      const image = structuredClone(await reach(ref));
      return {
        ...image,
        config: {
          os: "linux",
          architecture: "amd64",
          author: "",
          comment: "",
          entrypoint: [],
          command: [],
          env: [],
          workingDir: "",
          user: "",
          exposedPorts: [],
          layers: [],
        },
      };
    },
    async list(query) {
      await tick();
      checkReachable(state);
      const unique = [...new Set(state.images.values())];
      return unique
        .filter(
          (image) =>
            matchesLabelFilters(image.labels, query.labels) && (!query.danglingOnly || image.repoTags.length === 0),
        )
        .map((image) => structuredClone(image));
    },
    async remove(ref) {
      const image = await reach(ref);
      // Removing one of several tags leaves the image, so it cannot hurt a container using it.
      const onlyUntags = image.repoTags.includes(ref) && image.repoTags.length > 1;
      const user = [...state.containers.values()].find((c) => c.imageId === image.id);
      if (user && !onlyUntags) {
        throw new DockhandError(
          "Conflict",
          `remove image ${ref}: container ${user.name} (${user.id.slice(0, 12)}, ${user.state}) uses the image; remove the container first`,
        );
      }
      const untagged = onlyUntags ? [ref] : [...image.repoTags];
      image.repoTags = image.repoTags.filter((tag) => !untagged.includes(tag));
      for (const tag of untagged) {
        state.images.delete(tag);
        imageEvent("untag", image.id, tag);
      }
      if (onlyUntags) return { untagged, deleted: [] };
      for (const [key, value] of state.images) if (value === image) state.images.delete(key);
      imageEvent("delete", image.id, ref);
      return { untagged, deleted: [image.id] };
    },
    async tag(source, target) {
      const image = await reach(source);
      if (!image.repoTags.includes(target)) image.repoTags.push(target);
      state.images.set(target, image);
      imageEvent("tag", image.id, target);
    },
    async pull(ref, options) {
      state.pulls.push(ref);
      await tick();
      checkReachable(state);
      if (!state.registryImages.has(ref)) throw new DockhandError("NotFound", `pull image ${ref}: manifest unknown`);
      options?.onProgress?.({ layerId: ref, status: "Pulling from fake registry", currentBytes: 0, totalBytes: 0 });
      if (!state.images.has(ref)) state.images.set(ref, newImage(ref, newId()));
      const image = state.images.get(ref)!;
      imageEvent("pull", ref, ref);
      return { image: ref, imageId: image.id, digest: `sha256:${image.id.slice(7)}` };
    },
    async push(ref, options) {
      const image = await reach(ref);
      state.registryImages.add(ref);
      options?.onProgress?.({ layerId: ref, status: "Pushed", currentBytes: 0, totalBytes: 0 });
      return { image: ref, digest: `sha256:${image.id.slice(7)}`, manifestSizeBytes: 512 };
    },
    async load(archive) {
      await tick();
      checkReachable(state);
      // The fake's archives are text: one image reference per line.
      let text = "";
      for await (const chunk of archive) text += String(chunk);
      const refs = text
        .split("\n")
        .map((line) => line.trim())
        .filter((line) => line !== "");
      if (refs.length === 0)
        throw new DockhandError("InvalidArgument", "archive: the engine could not load it: no images in the archive", {
          details: { field: "archive" },
        });
      for (const ref of refs) if (!state.images.has(ref)) state.images.set(ref, newImage(ref, newId()));
      return refs;
    },
  };
}
