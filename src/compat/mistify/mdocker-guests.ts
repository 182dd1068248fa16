import type { Engine } from "../../engine/engine.js";
import type { ContainerDescription, ContainerStateName } from "../../engine/types.js";
import { isDockhandError } from "../../model/dockhand-error.js";
import { createContainerLifecycle } from "../../rpc/container-agent/container-lifecycle.js";
import { checkContainerName, checkContainerRef } from "../../rpc/container-agent/container-refs.js";
import { checkImageRef } from "../../rpc/container-agent/images.js";
import { member, RpcMethodError, unmarshalError } from "./json-rpc-envelope.js";
import { asMethodError, checkedInput } from "./mistify-errors.js";
import { decodeGuest, withState, type Guest } from "./mistify-guest.js";

type GuestMethod = (param: unknown, signal: AbortSignal) => Promise<{ guest: Guest }>;
type GuestMethods =
  | "CreateContainer"
  | "StartContainer"
  | "StopContainer"
  | "RestartContainer"
  | "RebootContainer"
  | "PauseContainer"
  | "UnpauseContainer"
  | "DeleteContainer";

const MiB = 1024 * 1024;

/** The state word the seed wrote into the guest. */
function stateWord(state: ContainerStateName): string {
  if (state === "paused") return "paused";
  if (state === "running") return "running";
  return "stopped";
}

/** A GuestRequest's guest, which must have an id; throws the seed's method error otherwise. */
function guestOf(param: unknown): Guest {
  if (param !== undefined && (param === null || typeof param !== "object" || Array.isArray(param)))
    throw unmarshalError(param, "rpc.GuestRequest");
  const guest = decodeGuest(param === undefined ? undefined : member(param as Record<string, unknown>, "guest"));
  if (!guest || guest.id === "") throw new RpcMethodError("missing guest with id");
  return guest;
}

/**
 * MDocker's guest methods over the same lifecycle functions as ContainerAgent's verbs, so their rules
 * apply: starting a running container, stopping a stopped one, pausing a paused one succeed.
 * Each answers the request's guest with `state` set.
 */
export function createGuestMethods(engine: Engine): Record<GuestMethods, GuestMethod> {
  const life = createContainerLifecycle(engine);

  /** Runs one lifecycle step and checks the state it left, as the seed re-inspected. */
  function transition(
    run: (id: string, signal: AbortSignal) => Promise<ContainerDescription>,
    expected: string,
  ): GuestMethod {
    return async (param, signal) => {
      const guest = guestOf(param);
      const id = checkedInput(() => checkContainerRef(guest.id, "guest.id"));
      const res = await asMethodError({ container: id }, async () => run(id, signal));
      const state = stateWord(res.state);
      if (state !== expected) throw new RpcMethodError("unexpected container state");
      return { guest: withState(guest, state) };
    };
  }

  const restart = transition((id, signal) => life.restart(id, undefined, signal), "running");
  const stop = transition((id, signal) => life.stop(id, undefined, signal), "stopped");

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
            {
              name: guest.id,
              hostname: guest.id,
              image,
              openStdin: true,
              macAddress: guest.nics?.[0]?.mac || undefined,
              memoryBytes,
            },
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
    StartContainer: transition((id, signal) => life.start(id, signal), "running"),
    StopContainer: stop,
    RestartContainer: restart,
    // The seed's reboot was its restart: a graceful stop, then a start.
    RebootContainer: restart,
    PauseContainer: transition((id, signal) => life.pause(id, signal), "paused"),
    UnpauseContainer: transition((id, signal) => life.unpause(id, signal), "running"),
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
