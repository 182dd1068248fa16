import { describe, expect, it } from "vitest";
import { DockhandError } from "../../src/model/dockhand-error.js";
import type { ServiceStatusView } from "../../src/orchestrator/service-status.js";
import { createStatusWatcher } from "../../src/orchestrator/status-watcher.js";

/** A status source driven by the test: `change` names a service whose status may have changed. */
function createSource(read: (name: string) => Promise<ServiceStatusView>) {
  const listeners = new Set<(service: string) => void>();
  let reads = 0;
  return {
    source: {
      status: (name: string) => (reads++, read(name)),
      onStatusChange(listener: (service: string) => void) {
        listeners.add(listener);
        return () => void listeners.delete(listener);
      },
    },
    change: (service: string) => listeners.forEach((listener) => listener(service)),
    reads: () => reads,
    listeners: () => listeners.size,
  };
}

function view(running: number): ServiceStatusView {
  return {
    name: "web",
    desired: 2,
    running,
    paused: 0,
    version: 1,
    containers: [],
    crashLooping: false,
    failures: [],
    conditions: [],
  };
}

describe("status watcher", () => {
  it("sends the current status, then one status per burst of changes of its service, skipping repeats", async () => {
    let running = 0;
    const world = createSource(async () => view(running));
    const watcher = createStatusWatcher({ source: world.source, coalesceMs: 20 });
    const controller = new AbortController();
    const iterator = watcher.watch("web", controller.signal)[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual(view(0));

    running = 2;
    world.change("web");
    world.change("web");
    world.change("other");
    world.change("web");
    expect((await iterator.next()).value).toEqual(view(2));
    expect(world.reads()).toBe(2);

    // A change that leaves the status as it was sends nothing; the next real one does.
    world.change("web");
    running = 1;
    world.change("web");
    expect((await iterator.next()).value).toEqual(view(1));

    controller.abort();
    expect((await iterator.next()).done).toBe(true);
    expect(world.listeners()).toBe(0);
  });

  it("rides out an engine that is briefly unreachable, and reads again at the next change", async () => {
    let state: "up" | "down" = "up";
    let running = 1;
    const world = createSource(async () => {
      if (state === "down") throw new DockhandError("Unavailable", "engine unreachable");
      return view(running);
    });
    const watcher = createStatusWatcher({ source: world.source, coalesceMs: 5 });
    const controller = new AbortController();
    const iterator = watcher.watch("web", controller.signal)[Symbol.asyncIterator]();
    await iterator.next();
    state = "down";
    world.change("web");
    const next = iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 30));
    state = "up";
    running = 0;
    world.change("web");
    expect((await next).value).toEqual(view(0));
    await iterator.return?.(undefined);
    expect(world.listeners()).toBe(0);
  });

  it("ends with NotFound when the service is unknown, unsubscribing", async () => {
    const world = createSource(async () => {
      throw new DockhandError("NotFound", 'service "web" does not exist');
    });
    const watcher = createStatusWatcher({ source: world.source });
    const failure = await watcher
      .watch("web", new AbortController().signal)
      [Symbol.asyncIterator]()
      .next()
      .catch((e: unknown) => e);
    expect((failure as DockhandError).kind).toBe("NotFound");
    expect(world.listeners()).toBe(0);
  });
});
