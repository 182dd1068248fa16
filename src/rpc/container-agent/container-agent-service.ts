import type { ServiceImpl } from "@connectrpc/connect";
import type { Engine } from "../../engine/engine.js";
import type { ContainerAgent } from "../../../gen/dockhand/v1/container_agent_pb.js";
import { createContainerHandlers } from "./container-handlers.js";
import type { HostAccessPolicy } from "./host-access-policy.js";
import { createImageHandlers, type ImageLimits } from "./image-handlers.js";
import { createStreamHandlers } from "./stream-handlers.js";
import { createResourceHandlers } from "./resource-handlers.js";

export interface ContainerAgentDeps {
  engine: Engine;
  /** Which host-power options CreateContainer allows (the server config's allow_* settings). */
  hostAccess: HostAccessPolicy;
  /** LoadImage's size and time limits (the server config's load* settings). */
  imageLimits: ImageLimits;
}

/** ContainerAgent, composed of one handler group per concern. */
export function createContainerAgentService(deps: ContainerAgentDeps): Partial<ServiceImpl<typeof ContainerAgent>> {
  return {
    ...createContainerHandlers({ engine: deps.engine, hostAccess: deps.hostAccess }),
    ...createImageHandlers({ engine: deps.engine, limits: deps.imageLimits }),
    ...createStreamHandlers(deps.engine),
    ...createResourceHandlers(deps.engine),
  };
}
