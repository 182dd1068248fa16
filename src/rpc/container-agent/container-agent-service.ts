/**
 * The ContainerAgent service: direct control of the engine's containers, images, volumes and
 * networks, composed of one group of verbs per file, each owning its validation and mapping.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { Engine } from "../../engine/engine.js";
import type { ContainerAgent } from "../../../gen/dockhand/v1/container_agent_pb.js";
import { createContainerCreateMethod } from "./container-create.js";
import { createContainerLifecycleMethods } from "./container-lifecycle.js";
import { createContainerOutputMethods } from "./container-output.js";
import { createContainerStatsMethods } from "./container-stats.js";
import { createContainerMethods } from "./containers.js";
import { createEventMethods } from "./events.js";
import type { HostAccessPolicy } from "./host-access-policy.js";
import { createImageTransferMethods, type ImageLimits } from "./image-transfers.js";
import { createImageMethods } from "./images.js";
import { createInteractiveMethods, type CopyLimits } from "./interactive-methods.js";
import { createResourceMethods } from "./resources.js";

export interface ContainerAgentDeps {
  engine: Engine;
  /** Which host-power options CreateContainer allows (the server config's allow_* settings). */
  hostAccess: HostAccessPolicy;
  /** LoadImage's size and time limits (the server config's load* settings). */
  imageLimits: ImageLimits;
  /** Where ExecSession and Attach write their open and close audit lines. */
  audit: Pick<Logger, "info">;
  /** Limits of the copies into and out of containers (the server config's copy* and maxMessageBytes). */
  copyLimits: CopyLimits;
}

export function createContainerAgentService(deps: ContainerAgentDeps): ServiceImpl<typeof ContainerAgent> {
  const { engine } = deps;
  return {
    ...createContainerMethods(engine),
    ...createContainerCreateMethod({ engine, hostAccess: deps.hostAccess }),
    ...createContainerLifecycleMethods(engine),
    ...createContainerOutputMethods(engine),
    ...createContainerStatsMethods(engine),
    ...createEventMethods(engine),
    ...createImageMethods(engine),
    ...createImageTransferMethods(engine, deps.imageLimits),
    ...createResourceMethods(engine),
    ...createInteractiveMethods({ engine, audit: deps.audit, copyLimits: deps.copyLimits }),
  };
}
