import type { ServiceImpl } from "@connectrpc/connect";
import type { Engine } from "../engine/engine.js";
import type { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";

export interface ContainerAgentDeps {
  engine: Engine;
}

/** ContainerAgent, composed of one handler group per concern. */
export function createContainerAgentService(_deps: ContainerAgentDeps): Partial<ServiceImpl<typeof ContainerAgent>> {
  return {};
}
