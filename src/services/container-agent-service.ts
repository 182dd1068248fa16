import type { ServiceImpl } from "@connectrpc/connect";
import type { Engine } from "../engine/engine.js";
import type { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import { createContainerHandlers } from "./container-handlers.js";
import type { HostAccessPolicy } from "./host-access-policy.js";

export interface ContainerAgentDeps {
  engine: Engine;
  /** Which host-power options CreateContainer allows (the server config's allow_* settings). */
  hostAccess: HostAccessPolicy;
}

/** ContainerAgent, composed of one handler group per concern. */
export function createContainerAgentService(deps: ContainerAgentDeps): Partial<ServiceImpl<typeof ContainerAgent>> {
  return {
    ...createContainerHandlers({ engine: deps.engine, hostAccess: deps.hostAccess }),
  };
}
