import type { ServiceImpl } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Engine } from "../engine/engine.js";
import type { ContainerDescription, ContainerStateName } from "../engine/types.js";
import { DockhandError, invalidArgument, isDockhandError } from "../errors/dockhand-error.js";
import { checkImage, checkServiceName } from "../registry/definition-rules.js";
import { parseImageReference, type ImageReference } from "../registry/image-reference.js";
import { defaultStopGraceSeconds } from "../registry/service-definition.js";
import { serviceFilter } from "../scaler/ownership.js";
import { ContainerView } from "../../gen/dockhand/v1/agent_containers_pb.js";
import type { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import { descriptionToProto, summaryToProto } from "./container-mapping.js";
import {
  checkContainerName,
  checkContainerRef,
  graceSeconds,
  killSignal,
  labelFilters,
  timeoutMs,
} from "./container-request-rules.js";
import { specFromProto } from "./container-spec-mapping.js";
import { checkHostAccess, type HostAccessPolicy } from "./host-access-policy.js";

type ContainerMethods =
  | "listContainers" | "getContainer" | "createContainer" | "startContainer" | "stopContainer"
  | "restartContainer" | "rebootContainer" | "killContainer" | "pauseContainer" | "unpauseContainer"
  | "deleteContainer" | "waitContainer" | "saveContainer";

export interface ContainerHandlerDeps {
  engine: Engine;
  hostAccess: HostAccessPolicy;
}

/** Runs `attempt`, treating a NotModified answer (already in the asked state) as success. */
async function unlessNotModified(attempt: Promise<void>): Promise<void> {
  try {
    await attempt;
  } catch (err) {
    if (!isDockhandError(err, "NotModified")) throw err;
  }
}

/** ContainerAgent's container methods: validate, call the engine, map to proto. */
export function createContainerHandlers(deps: ContainerHandlerDeps): Pick<ServiceImpl<typeof ContainerAgent>, ContainerMethods> {
  const { engine, hostAccess } = deps;
  const describe = async (id: string, signal: AbortSignal) =>
    ({ container: descriptionToProto(await engine.describeContainer(id, signal)) });

  /** The grace period asked for, else the container's own, else the engine's default. */
  const graceFor = async (id: string, asked: number | undefined, signal: AbortSignal) =>
    asked ?? (await engine.describeContainer(id, signal)).stopGraceSeconds ?? defaultStopGraceSeconds;

  /**
   * Pause and unpause: the engine refuses one that is already done with 409 (pause) or 500
   * (unpause), so a failure is judged by the container's state afterwards, never by the
   * engine's message text.
   */
  async function transition(id: string, signal: AbortSignal, run: Promise<void>, operation: string,
    from: ContainerStateName, to: ContainerStateName): Promise<ContainerDescription> {
    try {
      await run;
    } catch (err) {
      if (!isDockhandError(err, "Conflict") && !isDockhandError(err, "Internal")) throw err;
      const now = await engine.describeContainer(id, signal);
      if (now.state === to) return now;
      if (now.state !== from) {
        throw new DockhandError("FailedPrecondition", `${operation} ${id}: the container is ${now.state}, not ${from}`, { cause: err });
      }
      throw err;
    }
    return engine.describeContainer(id, signal);
  }

  return {
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
      return describe(checkContainerRef(req.id), ctx.signal);
    },
    async createContainer(req, ctx) {
      const spec = specFromProto(req.spec);
      checkHostAccess(spec, hostAccess);
      let id: string;
      try {
        id = await engine.createContainer(spec, ctx.signal);
      } catch (err) {
        // The container does not exist yet, so the engine's only 404 here is the image's.
        if (!isDockhandError(err, "NotFound")) throw err;
        throw new DockhandError("FailedPrecondition", `spec.image: image "${spec.image}" is not on the engine; pull it first`, {
          cause: err,
          details: { field: "spec.image" },
        });
      }
      return describe(id, ctx.signal);
    },
    async startContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      await unlessNotModified(engine.startContainer(id, ctx.signal));
      return describe(id, ctx.signal);
    },
    async stopContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      const grace = await graceFor(id, graceSeconds(req.gracePeriod), ctx.signal);
      await unlessNotModified(engine.stopContainer(id, grace, ctx.signal));
      return describe(id, ctx.signal);
    },
    async restartContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      const grace = await graceFor(id, graceSeconds(req.gracePeriod), ctx.signal);
      await engine.restartContainer(id, grace, ctx.signal);
      return describe(id, ctx.signal);
    },
    async rebootContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      try {
        await engine.killContainer(id, "SIGKILL", ctx.signal);
      } catch (err) {
        // Conflict: it was not running, so there is nothing to kill; just start it.
        if (!isDockhandError(err, "Conflict")) throw err;
      }
      await engine.waitContainer(id, ctx.signal);
      // A restart policy may have started it again already.
      await unlessNotModified(engine.startContainer(id, ctx.signal));
      return describe(id, ctx.signal);
    },
    async killContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      await engine.killContainer(id, killSignal(req.signal), ctx.signal);
      return describe(id, ctx.signal);
    },
    async pauseContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      const now = await transition(id, ctx.signal, engine.pauseContainer(id, ctx.signal), "pause container", "running", "paused");
      return { container: descriptionToProto(now) };
    },
    async unpauseContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      const now = await transition(id, ctx.signal, engine.unpauseContainer(id, ctx.signal), "unpause container", "paused", "running");
      return { container: descriptionToProto(now) };
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
        throw invalidArgument("image", `"${req.image}" must be repository:tag; the engine gives the new image its digest`);
      }
      const image = await engine.commitContainer(
        id,
        { repository: ref.repository, tag: ref.tag, message: req.message, author: req.author, pause: req.pause ?? true },
        ctx.signal,
      );
      return {
        imageId: image.id,
        image: req.image,
        sizeBytes: BigInt(image.sizeBytes),
        createTime: timestampFromDate(image.createdAt),
      };
    },
  };
}
