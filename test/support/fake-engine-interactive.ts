/**
 * The fake engine's interactive processes: every exec or attach is a `cat` (stdin echoed as
 * stdout, exit 0 at end of stdin), enough for the layers above; the archive API is not faked.
 * The real behaviour is proven in test/integration/agent-exec-session and agent-copy.
 */
import { DockhandError } from "../../src/model/dockhand-error.js";
import type { ContainerInteractive, InteractiveSession, OutputChunk } from "../../src/engine/container-interactive.js";
import { checkReachable, findContainer, tick, type FakeEngineState } from "./fake-engine-state.js";

function catSession(tty: boolean): InteractiveSession {
  const pending: OutputChunk[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => (wake?.(), (wake = undefined));
  async function* output(): AsyncGenerator<OutputChunk> {
    for (;;) {
      const next = pending.shift();
      if (next) yield next;
      else if (ended) return;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  }
  return {
    tty,
    output: output(),
    async write(data) {
      if (ended) throw new DockhandError("FailedPrecondition", "stdin is closed");
      pending.push({ stream: "stdout", data: Buffer.from(data) });
      notify();
    },
    closeStdin: () => ((ended = true), notify()),
    async resize() {},
    async kill() {},
    async exitCode() {
      return 0;
    },
    async close() {
      ended = true;
      notify();
    },
  };
}

export function createFakeInteractive(state: FakeEngineState): ContainerInteractive {
  const runningContainer = async (id: string, operation: string) => {
    await tick();
    checkReachable(state);
    const c = findContainer(state, id);
    if (c.state !== "running") throw new DockhandError("Conflict", `${operation}: container ${c.id} is not running`);
  };
  const notFaked = async (): Promise<never> => {
    throw new DockhandError("Unavailable", "the fake engine has no archive API");
  };
  return {
    async openExec(id, options) {
      await runningContainer(id, `exec in container ${id}`);
      return catSession(options.tty);
    },
    async attach(id) {
      await runningContainer(id, `attach to container ${id}`);
      return catSession(false);
    },
    putArchive: notFaked,
    getArchive: notFaked,
    statPath: notFaked,
  };
}
