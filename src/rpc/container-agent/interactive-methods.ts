import type { ServiceImpl } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { Engine } from "../../engine/engine.js";
import type { ContainerAgent } from "../../../gen/dockhand/v1/container_agent_pb.js";
import { createContainerCopyMethods, type CopyLimits } from "./container-copy.js";
import { createAttachSession } from "./attach-session.js";
import { createExecSession } from "./exec-session.js";

export type { CopyLimits } from "./container-copy.js";

type InteractiveMethods = Pick<
  ServiceImpl<typeof ContainerAgent>,
  | "execSession"
  | "attach"
  | "copyToContainer"
  | "copyToContainerStream"
  | "copyFromContainer"
  | "copyFromContainerUnary"
>;

export interface InteractiveDeps {
  engine: Engine;
  /** Where each session's open and close lines go. */
  audit: Pick<Logger, "info">;
  copyLimits: CopyLimits;
}

/** ExecSession and Attach, and the copies in and out of containers. */
export function createInteractiveMethods(deps: InteractiveDeps): InteractiveMethods {
  return {
    ...createExecSession({ engine: deps.engine, audit: deps.audit }),
    ...createAttachSession({ engine: deps.engine, audit: deps.audit }),
    ...createContainerCopyMethods(deps.engine, deps.copyLimits),
  };
}
