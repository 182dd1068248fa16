import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { ContainerAgent } from "../../../gen/dockhand/v1/container_agent_pb.js";

type InteractiveMethods = Pick<
  ServiceImpl<typeof ContainerAgent>,
  | "execSession"
  | "attach"
  | "copyToContainer"
  | "copyToContainerStream"
  | "copyFromContainer"
  | "copyFromContainerUnary"
>;

/** ExecSession, Attach and the copies: the contract is in place, the engine side comes next. */
export function createInteractiveMethods(): InteractiveMethods {
  const notYet = (): never => {
    throw new ConnectError("not implemented yet", Code.Unimplemented);
  };
  return {
    async *execSession() {
      notYet();
    },
    async *attach() {
      notYet();
    },
    copyToContainer: notYet,
    copyToContainerStream: notYet,
    async *copyFromContainer() {
      notYet();
    },
    copyFromContainerUnary: notYet,
  };
}
