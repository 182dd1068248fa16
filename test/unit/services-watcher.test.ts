import { describe, expect, it } from "vitest";
import { DockhandError } from "../../src/model/dockhand-error.js";
import type { StoredService } from "../../src/model/service-definition.js";
import type { ServiceStatusView } from "../../src/orchestrator/service-status.js";
import { createServicesWatcher, type ServicesChange } from "../../src/orchestrator/services-watcher.js";

function status(name: string, running: number): ServiceStatusView {
  return {
    name,
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

/** A registry and a status source driven by the test: `set` and `remove` change what status reads. */
function createWorld(initial: ServiceStatusView[]) {
  const statuses = new Map(initial.map((s) => [s.name, s]));
  const registryListeners = new Set<() => void>();
  const viewListeners = new Set<(service: string) => void>();
  const subscribe =
    <T>(set: Set<T>) =>
    (listener: T) => {
      set.add(listener);
      return () => void set.delete(listener);
    };
  return {
    registry: {
      list: () => [...statuses.keys()].sort().map((name) => ({ definition: { name } }) as StoredService),
      onChange: subscribe(registryListeners),
    },
    source: {
      onStatusChange: subscribe(viewListeners),
      async status(name: string) {
        const found = statuses.get(name);
        if (!found) throw new DockhandError("NotFound", `service "${name}" does not exist`);
        return found;
      },
    },
    /** A container of `s.name` changed. */
    set(s: ServiceStatusView) {
      statuses.set(s.name, s);
      for (const listener of viewListeners) listener(s.name);
    },
    remove(name: string) {
      statuses.delete(name);
      for (const listener of registryListeners) listener();
    },
    listeners: () => registryListeners.size + viewListeners.size,
  };
}

describe("services watcher", () => {
  it("sends every service first, then only the changed ones and the deleted names", async () => {
    const world = createWorld([status("api", 2), status("web", 2), status("worker", 1)]);
    const stop = new AbortController();
    const watcher = createServicesWatcher({ ...world, coalesceMs: 10 });
    const iterator = watcher.watch(stop.signal)[Symbol.asyncIterator]();
    const next = async (): Promise<ServicesChange> => (await iterator.next()).value as ServicesChange;

    const first = await next();
    expect(first.reset).toBe(true);
    expect(first.statuses.map((s) => s.name)).toEqual(["api", "web", "worker"]);

    world.set(status("web", 1));
    expect(await next()).toEqual({ reset: false, statuses: [status("web", 1)], removed: [] });

    world.remove("api");
    world.set(status("worker", 2));
    const later = await next();
    expect(later.removed).toEqual(["api"]);
    expect(later.statuses).toEqual([status("worker", 2)]);

    stop.abort();
    expect((await iterator.next()).done).toBe(true);
    expect(world.listeners()).toBe(0);
  });

  it("sends nothing for a change that leaves every status as it was", async () => {
    const world = createWorld([status("web", 2)]);
    const stop = new AbortController();
    const iterator = createServicesWatcher({ ...world, coalesceMs: 10 })
      .watch(stop.signal)
      [Symbol.asyncIterator]();
    await iterator.next();
    world.set(status("web", 2));
    world.set(status("web", 1));
    const change = (await iterator.next()).value as ServicesChange;
    expect(change.statuses).toEqual([status("web", 1)]);
    stop.abort();
    await iterator.return?.();
  });
});
