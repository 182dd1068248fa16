import { describe, expect, it } from "vitest";
import type { EngineEventItem, EngineEvents, WatchEventsOptions } from "../../src/engine/event-stream.js";
import { DockhandError } from "../../src/model/dockhand-error.js";
import type { ServiceStatusView } from "../../src/orchestrator/service-status.js";
import { createStatusWatcher } from "../../src/orchestrator/local/status-watcher.js";

/** An event source driven by the test: `emit` pushes, the stream ends when its signal aborts. */
function createManualEvents() {
  const queue: EngineEventItem[] = [];
  let wake: (() => void) | undefined;
  const opened: WatchEventsOptions[] = [];
  let open = 0;
  const events: EngineEvents = {
    watchEvents(options) {
      opened.push(options);
      return (async function* () {
        open++;
        try {
          yield { kind: "connected" } as EngineEventItem;
          while (!options.signal?.aborted) {
            const item = queue.shift();
            if (item) {
              yield item;
              continue;
            }
            await new Promise<void>((resolve) => {
              wake = resolve;
              options.signal?.addEventListener("abort", () => resolve(), { once: true });
            });
          }
        } finally {
          open--;
        }
      })();
    },
  };
  const event = (action: string): EngineEventItem => ({
    kind: "event",
    event: { type: "container", action, detail: "", id: "c1", attributes: {}, time: new Date(), timeNano: 1n },
  });
  return {
    events,
    opened,
    open: () => open,
    emit(...actions: string[]) {
      queue.push(...actions.map(event));
      wake?.();
    },
    resync() {
      queue.push({ kind: "resynced", lostAt: new Date(), reason: "test", since: undefined });
      wake?.();
    },
  };
}

function view(running: number): ServiceStatusView {
  return { name: "web", desired: 2, running, paused: 0, version: 1, containers: [], crashLooping: false, failures: [] };
}

describe("status watcher", () => {
  it("sends the current status, then one status per burst of events, skipping repeats", async () => {
    const manual = createManualEvents();
    let running = 0;
    let reads = 0;
    const watcher = createStatusWatcher({
      scaler: { status: async () => (reads++, view(running)) },
      events: manual.events,
      coalesceMs: 20,
    });
    const controller = new AbortController();
    const iterator = watcher.watch("web", controller.signal)[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual(view(0));
    expect(manual.opened[0]?.filters?.labels).toEqual(["dockhand.service=web"]);

    running = 2;
    manual.emit("create", "start", "create", "start");
    expect((await iterator.next()).value).toEqual(view(2));
    expect(reads).toBe(2);

    manual.emit("health_status");
    running = 1;
    manual.emit("die");
    expect((await iterator.next()).value).toEqual(view(1));

    controller.abort();
    expect((await iterator.next()).done).toBe(true);
    expect(manual.open()).toBe(0);
  });

  it("reads again after a resync and rides out an engine that is briefly unreachable", async () => {
    const manual = createManualEvents();
    let state: "up" | "down" = "up";
    let running = 1;
    const watcher = createStatusWatcher({
      scaler: {
        status: async () => {
          if (state === "down") throw new DockhandError("Unavailable", "engine unreachable");
          return view(running);
        },
      },
      events: manual.events,
      coalesceMs: 5,
    });
    const controller = new AbortController();
    const iterator = watcher.watch("web", controller.signal)[Symbol.asyncIterator]();
    await iterator.next();
    state = "down";
    manual.emit("die");
    const next = iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 30));
    state = "up";
    running = 0;
    manual.resync();
    expect((await next).value).toEqual(view(0));
    await iterator.return?.(undefined);
    expect(manual.open()).toBe(0);
  });

  it("ends with NotFound when the service is unknown, closing its event stream", async () => {
    const manual = createManualEvents();
    const watcher = createStatusWatcher({
      scaler: {
        status: async () => {
          throw new DockhandError("NotFound", 'service "web" does not exist');
        },
      },
      events: manual.events,
    });
    const failure = await watcher.watch("web", new AbortController().signal)[Symbol.asyncIterator]().next().catch((e: unknown) => e);
    expect((failure as DockhandError).kind).toBe("NotFound");
    expect(manual.open()).toBe(0);
  });
});
