/**
 * ContainerAgent's container verbs that are not state changes: list, get, delete, wait and
 * save (commit). Each validates its request, calls the engine and maps the answer.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Engine } from "../../engine/engine.js";
import { startDeadline } from "../../lib/deadline.js";
import { checkImage, checkServiceName } from "../../model/definition-rules.js";
import { DockhandError, invalidArgument, isDockhandError } from "../../model/dockhand-error.js";
import { parseImageReference, type ImageReference } from "../../model/image-reference.js";
import { serviceFilter } from "../../model/ownership-labels.js";
import { quote } from "../../model/quote.js";
import { ContainerView } from "../../../gen/dockhand/v1/agent_containers_pb.js";
import type { ContainerAgent } from "../../../gen/dockhand/v1/container_agent_pb.js";
import { nonNegativeMs } from "../container-fields.js";
import { descriptionToProto, summaryToProto } from "./container-message.js";
import { checkContainerName, checkContainerRef, labelFilters } from "./container-refs.js";

type ContainerMethods = "listContainers" | "getContainer" | "deleteContainer" | "waitContainer" | "saveContainer";

/** The engine checks some values more strictly than dockhand; what it refuses is still the client's `field`. */
export function asFieldError(err: unknown, field: string): unknown {
  return isDockhandError(err, "InvalidArgument") ? invalidArgument(field, err.message) : err;
}

/** `repository:tag` for a commit: the engine gives the new image its digest. */
function commitTarget(image: string): { repository: string; tag: string } {
  checkImage(image, "image");
  const ref = parseImageReference(image) as ImageReference;
  if (ref.digest !== undefined || ref.tag === undefined) {
    throw invalidArgument("image", `${quote(image)} must be repository:tag; the engine gives the new image its digest`);
  }
  return { repository: ref.repository, tag: ref.tag };
}

export function createContainerMethods(engine: Engine): Pick<ServiceImpl<typeof ContainerAgent>, ContainerMethods> {
  return {
    async listContainers(req, ctx) {
      if (!(req.view in ContainerView)) throw invalidArgument("view", `unknown view ${req.view}`);
      const labels = labelFilters(req.labelSelector);
      if (req.service !== "") {
        checkServiceName(req.service, "service");
        labels.push(serviceFilter(req.service));
      }
      checkContainerName(req.name, "name");
      const listed = await engine.containers.list({ all: req.all, labels, name: req.name || undefined }, ctx.signal);
      // The engine's name filter matches a pattern anywhere in the name; the contract is exact.
      const summaries = req.name === "" ? listed : listed.filter((c) => c.name === req.name);
      if (req.view !== ContainerView.FULL) return { containers: summaries.map(summaryToProto) };
      const described = await engine.containers.describeMany(
        summaries.map((c) => c.id),
        ctx.signal,
      );
      return { containers: described.map(descriptionToProto) };
    },
    async getContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      return { container: descriptionToProto(await engine.containers.describe(id, ctx.signal)) };
    },
    async deleteContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      try {
        await engine.containers.remove(id, { force: req.force, volumes: req.removeVolumes }, ctx.signal);
      } catch (err) {
        if (!(req.allowMissing && isDockhandError(err, "NotFound"))) throw err;
      }
      return {};
    },
    async waitContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      if (!req.timeout) return engine.containers.wait(id, ctx.signal);
      const limitMs = nonNegativeMs(req.timeout, "timeout");
      const deadline = startDeadline(limitMs, ctx.signal);
      try {
        return await engine.containers.wait(id, deadline.signal);
      } catch (err) {
        if (!deadline.expired || !isDockhandError(err, "Cancelled")) throw err;
        throw new DockhandError("Timeout", `wait for container ${id}: still running after timeout ${limitMs / 1000}s`, {
          cause: err,
        });
      } finally {
        deadline.clear();
      }
    },
    async saveContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      const target = commitTarget(req.image);
      const commit = { ...target, message: req.message, author: req.author, pause: req.pause ?? true };
      const image = await engine.containers.commit(id, commit, ctx.signal).catch((err: unknown) => {
        throw asFieldError(err, "image");
      });
      return {
        imageId: image.id,
        image: req.image,
        sizeBytes: BigInt(image.sizeBytes),
        createTime: timestampFromDate(image.createdAt),
      };
    },
  };
}
