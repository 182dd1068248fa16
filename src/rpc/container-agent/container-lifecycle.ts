/**
 * ContainerAgent's verbs that move a container between states: start, stop, restart, reboot,
 * kill, pause and unpause. Each returns the container as it is afterwards.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import type { Engine } from "../../engine/engine.js";
import type { ContainerDescription, ContainerStateName } from "../../engine/types.js";
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
  | "startContainer"
  | "stopContainer"
  | "restartContainer"
  | "rebootContainer"
  | "killContainer"
  | "pauseContainer"
  | "unpauseContainer";

/** The signal to send; SIGKILL when empty. */
function killSignal(raw: string, field = "signal"): string {
  if (raw === "") return "SIGKILL";
  const signal = normalizeSignal(raw);
  if (!signal) {
    throw invalidArgument(
      field,
      `${quote(raw)} is not a Linux signal (a name such as SIGTERM or HUP, or a number from 1 to 64)`,
    );
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

/**
 * Moving a container between states, as plain functions of the engine: what ContainerAgent's
 * verbs and the mistify agent's guest methods both call. Each resolves with the container as it
 * is afterwards. Asking for the state a container is already in succeeds, as the Kubernetes CRI asks.
 */
export interface ContainerLifecycle {
  start(id: string, signal: AbortSignal): Promise<ContainerDescription>;
  /** `graceSeconds`: the one asked for, else the container's own, else the engine's default. */
  stop(id: string, graceSeconds: number | undefined, signal: AbortSignal): Promise<ContainerDescription>;
  restart(id: string, graceSeconds: number | undefined, signal: AbortSignal): Promise<ContainerDescription>;
  /** SIGKILL at once, no grace period, then a start. */
  reboot(id: string, signal: AbortSignal): Promise<ContainerDescription>;
  kill(id: string, killWith: string, signal: AbortSignal): Promise<ContainerDescription>;
  pause(id: string, signal: AbortSignal): Promise<ContainerDescription>;
  unpause(id: string, signal: AbortSignal): Promise<ContainerDescription>;
}

export function createContainerLifecycle(engine: Engine): ContainerLifecycle {
  const describe = (id: string, signal: AbortSignal) => engine.containers.describe(id, signal);

  /** The grace period asked for, else the container's own, else the engine's default. */
  const graceFor = async (id: string, asked: number | undefined, signal: AbortSignal) =>
    asked ?? (await engine.containers.describe(id, signal)).stopGraceSeconds ?? defaultStopGraceSeconds;

  /**
   * Pause and unpause. The engine refuses one that is already done with 409 (pause) or a plain
   * 500 (unpause), so a failure is judged by the container's state afterwards, never by the
   * engine's message text.
   */
  async function transition(
    id: string,
    signal: AbortSignal,
    run: () => Promise<void>,
    operation: string,
    from: ContainerStateName,
    to: ContainerStateName,
  ): Promise<ContainerDescription> {
    try {
      await run();
    } catch (err) {
      if (!isDockhandError(err, "Conflict") && !isDockhandError(err, "Internal")) throw err;
      const now = await engine.containers.describe(id, signal);
      if (now.state === to) return now;
      if (now.state !== from) {
        throw new DockhandError(
          "FailedPrecondition",
          `${operation} ${id}: the container is ${now.state}, not ${from}`,
          { cause: err },
        );
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
  async function settledState(id: string, signal: AbortSignal, to: ContainerStateName): Promise<ContainerDescription> {
    for (let attempt = 1; ; attempt++) {
      const now = await engine.containers.describe(id, signal);
      if (now.state === to || attempt >= 40 || signal.aborted) return now;
      await sleep(50, signal);
    }
  }

  return {
    async start(id, signal) {
      await unlessNotModified(engine.containers.start(id, signal));
      return describe(id, signal);
    },
    async stop(id, graceSeconds, signal) {
      await unlessNotModified(engine.containers.stop(id, await graceFor(id, graceSeconds, signal), signal));
      return describe(id, signal);
    },
    async restart(id, graceSeconds, signal) {
      await engine.containers.restart(id, await graceFor(id, graceSeconds, signal), signal);
      return describe(id, signal);
    },
    async reboot(id, signal) {
      try {
        // For SIGKILL the engine answers only once the process is gone, so no wait is needed
        // (and a wait could outlive a restart policy's own restart).
        await engine.containers.kill(id, "SIGKILL", signal);
      } catch (err) {
        // Conflict: it was not running, so there is nothing to kill; just start it.
        if (!isDockhandError(err, "Conflict")) throw err;
      }
      // A restart policy may have started it again already.
      await unlessNotModified(engine.containers.start(id, signal));
      return describe(id, signal);
    },
    async kill(id, killWith, signal) {
      await engine.containers.kill(id, killWith, signal);
      return describe(id, signal);
    },
    pause: (id, signal) =>
      transition(id, signal, () => engine.containers.pause(id, signal), "pause container", "running", "paused"),
    unpause: (id, signal) =>
      transition(id, signal, () => engine.containers.unpause(id, signal), "unpause container", "paused", "running"),
  };
}

/** ContainerAgent's lifecycle verbs: the request checked, the lifecycle run, the container mapped. */
export function createContainerLifecycleMethods(
  engine: Engine,
): Pick<ServiceImpl<typeof ContainerAgent>, LifecycleMethods> {
  const life = createContainerLifecycle(engine);
  const answer = async (description: Promise<ContainerDescription>) => ({
    container: descriptionToProto(await description),
  });
  return {
    startContainer: async (req, ctx) => answer(life.start(checkContainerRef(req.id), ctx.signal)),
    async stopContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      return answer(life.stop(id, graceSecondsFromProto(req.gracePeriod, "grace_period"), ctx.signal));
    },
    async restartContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      return answer(life.restart(id, graceSecondsFromProto(req.gracePeriod, "grace_period"), ctx.signal));
    },
    rebootContainer: async (req, ctx) => answer(life.reboot(checkContainerRef(req.id), ctx.signal)),
    async killContainer(req, ctx) {
      const id = checkContainerRef(req.id);
      return answer(life.kill(id, killSignal(req.signal), ctx.signal));
    },
    pauseContainer: async (req, ctx) => answer(life.pause(checkContainerRef(req.id), ctx.signal)),
    unpauseContainer: async (req, ctx) => answer(life.unpause(checkContainerRef(req.id), ctx.signal)),
  };
}
