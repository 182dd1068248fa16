import { create } from "@bufbuild/protobuf";
import { createHandlerContext } from "@connectrpc/connect";
import type { Engine } from "../../engine/engine.js";
import type { ContainerStateName } from "../../engine/types.js";
import { isDockhandError } from "../../model/dockhand-error.js";
import { createContainerLifecycleMethods } from "../../rpc/container-agent/container-lifecycle.js";
import { checkContainerName, checkContainerRef } from "../../rpc/container-agent/container-refs.js";
import { checkImageRef } from "../../rpc/container-agent/images.js";
import { ContainerAgent } from "../../../gen/dockhand/v1/container_agent_pb.js";
import { ContainerState } from "../../../gen/dockhand/v1/scaler_pb.js";
import {
  PauseContainerRequestSchema,
  RestartContainerRequestSchema,
  StartContainerRequestSchema,
  StopContainerRequestSchema,
  UnpauseContainerRequestSchema,
} from "../../../gen/dockhand/v1/agent_containers_pb.js";
import { member, RpcMethodError, unmarshalError } from "./json-rpc-envelope.js";
import { asMethodError, checkedInput } from "./mistify-errors.js";
import { decodeGuest, withState, type Guest } from "./mistify-guest.js";

type GuestMethod = (param: unknown, signal: AbortSignal) => Promise<{ guest: Guest }>;
type GuestMethods =
  | "CreateContainer" | "StartContainer" | "StopContainer" | "RestartContainer" | "RebootContainer"
  | "PauseContainer" | "UnpauseContainer" | "DeleteContainer";

const MiB = 1024 * 1024;

/** The state word the seed wrote into the guest. */
function stateWord(state: ContainerState | ContainerStateName): string {
  if (state === ContainerState.PAUSED || state === "paused") return "paused";
  if (state === ContainerState.RUNNING || state === "running") return "running";
  return "stopped";
}

/** A GuestRequest's guest, which must have an id; throws the seed's method error otherwise. */
function guestOf(param: unknown): Guest {
  if (param !== undefined && (param === null || typeof param !== "object" || Array.isArray(param))) throw unmarshalError(param, "rpc.GuestRequest");
  const guest = decodeGuest(param === undefined ? undefined : member(param as Record<string, unknown>, "guest"));
  if (!guest || guest.id === "") throw new RpcMethodError("missing guest with id");
  return guest;
}

/**
 * MDocker's guest methods over the ContainerAgent's own lifecycle handlers, so their rules
 * apply: starting a running container, stopping a stopped one, pausing a paused one succeed.
 * Each answers the request's guest with `state` set.
 */
export function createGuestMethods(engine: Engine): Record<GuestMethods, GuestMethod> {
  const agent = createContainerLifecycleMethods(engine);
  const context = (name: keyof typeof ContainerAgent.method, signal: AbortSignal) =>
    createHandlerContext({ service: ContainerAgent, method: ContainerAgent.method[name], protocolName: "mistify", requestMethod: "POST", url: "/_mistify_RPC_", requestSignal: signal });

  /** Runs one lifecycle handler and checks the state it left, as the seed re-inspected. */
  type Answer = { container?: { state?: ContainerState } };
  function transition(run: (id: string, signal: AbortSignal) => Answer | Promise<Answer>, expected: string): GuestMethod {
    return async (param, signal) => {
      const guest = guestOf(param);
      const id = checkedInput(() => checkContainerRef(guest.id, "guest.id"));
      const res = await asMethodError({ container: id }, async () => run(id, signal));
      const state = stateWord(res.container?.state ?? ContainerState.UNSPECIFIED);
      if (state !== expected) throw new RpcMethodError("unexpected container state");
      return { guest: withState(guest, state) };
    };
  }

  const restart = transition((id, signal) => agent.restartContainer(create(RestartContainerRequestSchema, { id }), context("restartContainer", signal)), "running");
  const stop = transition((id, signal) => agent.stopContainer(create(StopContainerRequestSchema, { id }), context("stopContainer", signal)), "stopped");

  return {
    async CreateContainer(param, signal) {
      const guest = guestOf(param);
      if (!guest.nics || guest.nics.length === 0) throw new RpcMethodError("must specify at least one nic");
      checkedInput(() => checkContainerName(guest.id, "guest.id"));
      const image = checkedInput(() => checkImageRef(guest.image ?? "", "guest.image"));
      const memoryBytes = (guest.memory ?? 0) * MiB;
      if (!Number.isSafeInteger(memoryBytes)) throw new RpcMethodError(`guest.memory: ${guest.memory} MB is too large`);
      const details = await asMethodError({ container: guest.id, image }, async () => {
        try {
          // The OVS ports and /dev/zfs of the seed's hypervisor are not reproduced: dockhand's default network.
          const id = await engine.containers.create(
            { name: guest.id, hostname: guest.id, image, openStdin: true, macAddress: guest.nics?.[0]?.mac || undefined, memoryBytes },
            signal,
          );
          return await engine.containers.describe(id, signal);
        } catch (err) {
          // The container does not exist yet, so a NotFound is the image's.
          if (isDockhandError(err, "NotFound")) throw new RpcMethodError("no such image", { cause: err });
          throw err;
        }
      });
      return { guest: withState(guest, stateWord(details.state)) };
    },
    StartContainer: transition((id, signal) => agent.startContainer(create(StartContainerRequestSchema, { id }), context("startContainer", signal)), "running"),
    StopContainer: stop,
    RestartContainer: restart,
    // The seed's reboot was its restart: a graceful stop, then a start.
    RebootContainer: restart,
    PauseContainer: transition((id, signal) => agent.pauseContainer(create(PauseContainerRequestSchema, { id }), context("pauseContainer", signal)), "paused"),
    UnpauseContainer: transition((id, signal) => agent.unpauseContainer(create(UnpauseContainerRequestSchema, { id }), context("unpauseContainer", signal)), "running"),
    async DeleteContainer(param, signal) {
      const guest = guestOf(param);
      const id = checkedInput(() => checkContainerRef(guest.id, "guest.id"));
      await asMethodError({ container: id }, async () => {
        try {
          // A running one is stopped gracefully first (the seed refused it); one already gone is deleted.
          await stop(param, signal);
          await engine.containers.remove(id, { force: false, volumes: false }, signal);
        } catch (err) {
          const cause = err instanceof RpcMethodError ? err.cause : err;
          if (!isDockhandError(cause, "NotFound")) throw err;
        }
      });
      return { guest: withState(guest, "deleted") };
    },
  };
}
