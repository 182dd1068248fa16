import type { ServiceImpl } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Engine } from "../../engine/engine.js";
import { DockhandError, invalidArgument, isDockhandError } from "../../model/dockhand-error.js";
import { checkImage, checkServiceName } from "../../model/definition-rules.js";
import { parseImageReference, type ImageReference } from "../../model/image-reference.js";
import { serviceFilter } from "../../model/ownership-labels.js";
import { ContainerView } from "../../../gen/dockhand/v1/agent_containers_pb.js";
import type { ContainerAgent } from "../../../gen/dockhand/v1/container_agent_pb.js";
import { createContainerLifecycleHandlers } from "./container-lifecycle-handlers.js";
import { descriptionToProto, summaryToProto } from "./container-mapping.js";
import { checkContainerName, checkContainerRef, labelFilters, timeoutMs } from "./container-request-rules.js";
import { specFromProto } from "./container-spec-mapping.js";
import { checkHostAccess, type HostAccessPolicy } from "./host-access-policy.js";
import { quote } from "../../model/quote.js";

type ContainerMethods =
  | "listContainers" | "getContainer" | "createContainer" | "startContainer" | "stopContainer"
  | "restartContainer" | "rebootContainer" | "killContainer" | "pauseContainer" | "unpauseContainer"
  | "deleteContainer" | "waitContainer" | "saveContainer";

export interface ContainerHandlerDeps {
  engine: Engine;
  hostAccess: HostAccessPolicy;
}

/** The engine checks some values more strictly than dockhand; what it refuses is still the client's `field`. */
function asFieldError(err: unknown, field: string): unknown {
  return isDockhandError(err, "InvalidArgument") ? invalidArgument(field, err.message) : err;
}

/** ContainerAgent's container methods: validate, call the engine, map to proto. */
export function createContainerHandlers(deps: ContainerHandlerDeps): Pick<ServiceImpl<typeof ContainerAgent>, ContainerMethods> {
  const { engine, hostAccess } = deps;

  return {
    ...createContainerLifecycleHandlers(engine),
    async listContainers(req, ctx) {
      if (!(req.view in ContainerView)) throw invalidArgument("view", `unknown view ${req.view}`);
      const labels = labelFilters(req.labelSelector);
      if (req.service !== "") {
        checkServiceName(req.service, "service");
        labels.push(serviceFilter(req.service));
      }
      checkContainerName(req.name, "name");
      const listed = await engine.listContainers({ all: req.all, labels, name: req.name || undefined }, ctx.signal);
      // The engine's name filter matches a pattern anywhere in the name; the contract is exact.
      const summaries = req.name === "" ? listed : listed.filter((c) => c.name === req.name);
      if (req.view !== ContainerView.FULL) return { containers: summaries.map(summaryToProto) };
      const described = await engine.describeContainers(summaries.map((c) => c.id), ctx.signal);
      return { containers: described.map(descriptionToProto) };
    },
    async getContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      return { container: descriptionToProto(await engine.describeContainer(id, ctx.signal)) };
    },
    async createContainer(req, ctx) {
      const spec = specFromProto(req.spec);
      checkHostAccess(spec, hostAccess);
      let id: string;
      try {
        id = await engine.createContainer(spec, ctx.signal);
      } catch (err) {
        // The container does not exist yet, so the engine's only 404 here is the image's.
        if (!isDockhandError(err, "NotFound")) throw asFieldError(err, "spec");
        throw new DockhandError("FailedPrecondition", `spec.image: image ${quote(spec.image)} is not on the engine; pull it first`, {
          cause: err,
          details: { field: "spec.image" },
        });
      }
      return { container: descriptionToProto(await engine.describeContainer(id, ctx.signal)) };
    },
    async deleteContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      try {
        await engine.removeContainer(id, { force: req.force, volumes: req.removeVolumes }, ctx.signal);
      } catch (err) {
        if (!(req.allowMissing && isDockhandError(err, "NotFound"))) throw err;
      }
      return {};
    },
    async waitContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      const limitMs = timeoutMs(req.timeout);
      const signal = limitMs === undefined ? ctx.signal : AbortSignal.any([ctx.signal, AbortSignal.timeout(limitMs)]);
      try {
        return await engine.waitContainer(id, signal);
      } catch (err) {
        if (limitMs === undefined || !isDockhandError(err, "Cancelled") || ctx.signal.aborted) throw err;
        throw new DockhandError("Timeout", `wait for container ${id}: still running after timeout ${limitMs / 1000}s`, { cause: err });
      }
    },
    async saveContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      checkImage(req.image, "image");
      const ref = parseImageReference(req.image) as ImageReference;
      if (ref.digest !== undefined || ref.tag === undefined) {
        throw invalidArgument("image", `${quote(req.image)} must be repository:tag; the engine gives the new image its digest`);
      }
      const commit = { repository: ref.repository, tag: ref.tag, message: req.message, author: req.author, pause: req.pause ?? true };
      const image = await engine.commitContainer(id, commit, ctx.signal).catch((err: unknown) => {
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
