/**
 * ContainerAgent's verbs that move a container between states: start, stop, restart, reboot,
 * kill, pause and unpause. Each returns the container as it is afterwards.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import type { Engine } from "../../engine/engine.js";
import type { ContainerStateName } from "../../engine/types.js";
import { DockhandError, invalidArgument, isDockhandError } from "../../model/dockhand-error.js";
import { normalizeSignal } from "../../model/linux-names.js";
import { quote } from "../../model/quote.js";
import { sleep } from "../../lib/sleep.js";
import { defaultStopGraceSeconds } from "../../model/service-definition.js";
import type { ContainerAgent } from "../../../gen/dockhand/v1/container_agent_pb.js";
import { graceSecondsFromProto } from "../container-fields.js";
import { descriptionToProto } from "./container-message.js";
import { checkContainerRef } from "./container-refs.js";

type LifecycleMethods =
  | "startContainer" | "stopContainer" | "restartContainer" | "rebootContainer" | "killContainer"
  | "pauseContainer" | "unpauseContainer";

/** The signal to send; SIGKILL when empty. */
function killSignal(raw: string, field = "signal"): string {
  if (raw === "") return "SIGKILL";
  const signal = normalizeSignal(raw);
  if (!signal) {
    throw invalidArgument(field, `${quote(raw)} is not a Linux signal (a name such as SIGTERM or HUP, or a number from 1 to 64)`);
  }
  return signal;
}

/** Runs `attempt`, treating a NotModified answer (already in the asked state) as success. */
async function unlessNotModified(attempt: Promise<void>): Promise<void> {
  try {
    await attempt;
  } catch (err) {
    if (!isDockhandError(err, "NotModified")) throw err;
  }
}

/** Asking for the state a container is already in succeeds, as the Kubernetes CRI asks. */
export function createContainerLifecycleMethods(engine: Engine): Pick<ServiceImpl<typeof ContainerAgent>, LifecycleMethods> {
  const describe = async (id: string, signal: AbortSignal) =>
    ({ container: descriptionToProto(await engine.containers.describe(id, signal)) });

  /** The grace period asked for, else the container's own, else the engine's default. */
  const graceFor = async (id: string, asked: number | undefined, signal: AbortSignal) =>
    asked ?? (await engine.containers.describe(id, signal)).stopGraceSeconds ?? defaultStopGraceSeconds;

  /**
   * Pause and unpause. The engine refuses one that is already done with 409 (pause) or a plain
   * 500 (unpause), so a failure is judged by the container's state afterwards, never by the
   * engine's message text.
   */
  async function transition(id: string, signal: AbortSignal, run: () => Promise<void>, operation: string,
    from: ContainerStateName, to: ContainerStateName) {
    try {
      await run();
    } catch (err) {
      if (!isDockhandError(err, "Conflict") && !isDockhandError(err, "Internal")) throw err;
      const now = await engine.containers.describe(id, signal);
      if (now.state === to) return { container: descriptionToProto(now) };
      if (now.state !== from) {
        throw new DockhandError("FailedPrecondition", `${operation} ${id}: the container is ${now.state}, not ${from}`, { cause: err });
      }
      throw err;
    }
    return settledState(id, signal, to);
  }

  /**
   * The engine answers a pause or unpause before its own record of the state follows (it
   * updates it on containerd's event), so an inspect at once can still show the old state: read
   * again until it shows `to`, for up to 2 s.
   */
  async function settledState(id: string, signal: AbortSignal, to: ContainerStateName) {
    for (let attempt = 1; ; attempt++) {
      const now = await engine.containers.describe(id, signal);
      if (now.state === to || attempt >= 40 || signal.aborted) return { container: descriptionToProto(now) };
      await sleep(50, signal);
    }
  }

  return {
    async startContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      await unlessNotModified(engine.containers.start(id, ctx.signal));
      return describe(id, ctx.signal);
    },
    async stopContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      const grace = await graceFor(id, graceSecondsFromProto(req.gracePeriod, "grace_period"), ctx.signal);
      await unlessNotModified(engine.containers.stop(id, grace, ctx.signal));
      return describe(id, ctx.signal);
    },
    async restartContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      const grace = await graceFor(id, graceSecondsFromProto(req.gracePeriod, "grace_period"), ctx.signal);
      await engine.containers.restart(id, grace, ctx.signal);
      return describe(id, ctx.signal);
    },
    async rebootContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      try {
        // For SIGKILL the engine answers only once the process is gone, so no wait is needed
        // (and a wait could outlive a restart policy's own restart).
        await engine.containers.kill(id, "SIGKILL", ctx.signal);
      } catch (err) {
        // Conflict: it was not running, so there is nothing to kill; just start it.
        if (!isDockhandError(err, "Conflict")) throw err;
      }
      // A restart policy may have started it again already.
      await unlessNotModified(engine.containers.start(id, ctx.signal));
      return describe(id, ctx.signal);
    },
    async killContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      await engine.containers.kill(id, killSignal(req.signal), ctx.signal);
      return describe(id, ctx.signal);
    },
    async pauseContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      return transition(id, ctx.signal, () => engine.containers.pause(id, ctx.signal), "pause container", "running", "paused");
    },
    async unpauseContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      return transition(id, ctx.signal, () => engine.containers.unpause(id, ctx.signal), "unpause container", "paused", "running");
    },
  };
}
