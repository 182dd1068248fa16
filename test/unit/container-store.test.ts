import { pino } from "pino";
import { describe, expect, it } from "vitest";
import {
  createContainerStore,
  withStoreLists,
  type ListAnswer as ListCacheAnswer,
} from "../../src/engine/store/container-store.js";
import type { EngineEventItem, EngineEvents } from "../../src/engine/event-stream.js";
import { createFakeEngine, type FakeEngine } from "../support/fake-engine.js";
import { until } from "../support/until.js";

const logger = pino({ level: "silent" });
const image = "busybox:1";

/** The fake's events, held back while `hold` is true: events the engine logged but has not yet sent. */
function delayedEvents(engine: FakeEngine) {
  const held: EngineEventItem[] = [];
  const control = { hold: false, release: () => undefined as void };
  const events: EngineEvents = {
    watch(options) {
      const inner = engine.events.watch(options)[Symbol.asyncIterator]();
      return (async function* () {
        const queue: EngineEventItem[] = [];
        let wake: (() => void) | undefined;
        control.release = () => {
          queue.push(...held.splice(0));
          wake?.();
        };
        void (async () => {
          for (let next = await inner.next(); !next.done; next = await inner.next()) {
            if (control.hold) held.push(next.value);
            else queue.push(next.value);
            wake?.();
          }
        })();
        while (!options.signal?.aborted) {
          const item = queue.shift();
          if (item) yield item;
          else await new Promise<void>((resolve) => (wake = resolve));
        }
      })();
    },
  };
  return { events: { ...events, logged: engine.events.logged }, control };
}

async function started(
  engine: FakeEngine,
  events = { watch: engine.events.watch, logged: engine.events.logged },
  catchUpMs?: number,
  answers: ListCacheAnswer[] = [],
) {
  const cache = createContainerStore({
    engine,
    events,
    logger,
    answersLists: true,
    onList: (answer) => answers.push(answer),
    ...(catchUpMs === undefined ? {} : { catchUpMs }),
  });
  await cache.start();
  return cache;
}

describe("container store: lists", () => {
  it("answers as the engine's list does: filters, order, status text", async () => {
    const engine = createFakeEngine();
    engine.addImage(image);
    const a = await engine.containers.create({ name: "a", image, labels: { team: "x" } });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const b = await engine.containers.create({ name: "b", image, labels: { team: "y", extra: "" } });
    await engine.containers.start(b);
    const cache = await started(engine);
    try {
      expect((await cache.list({ all: true }))?.map((c) => c.name)).toEqual(["b", "a"]);
      expect((await cache.list({ all: false }))?.map((c) => c.id)).toEqual([b]);
      expect((await cache.list({ all: true, labels: ["team=x"] }))?.map((c) => c.id)).toEqual([a]);
      expect((await cache.list({ all: true, labels: ["extra"] }))?.map((c) => c.id)).toEqual([b]);
      expect((await cache.list({ all: true, name: "a" }))?.map((c) => c.id)).toEqual([a]);
      const [running] = (await cache.list({ all: false })) ?? [];
      expect(running?.status).toMatch(/^Up (Less than a second|\d+ seconds?)$/);
      expect((await cache.list({ all: true, labels: ["team=x"] }))?.[0]?.status).toBe("Created");
    } finally {
      cache.close();
    }
  });

  it("sees a change made just before the list, and a removal", async () => {
    const engine = createFakeEngine();
    engine.addImage(image);
    const cache = await started(engine);
    try {
      const id = await engine.containers.create({ name: "late", image });
      expect((await cache.list({ all: true }))?.map((c) => c.id)).toEqual([id]);
      await engine.containers.start(id);
      engine.exitContainer(id, 3);
      expect((await cache.list({ all: true }))?.[0]?.status).toMatch(/^Exited \(3\) /);
      await engine.containers.remove(id, { force: true, volumes: false });
      expect(await cache.list({ all: true })).toEqual([]);
    } finally {
      cache.close();
    }
  });

  it("waits for events the engine logged but has not yet sent, and gives up to the engine when they do not come", async () => {
    const engine = createFakeEngine();
    engine.addImage(image);
    const { events, control } = delayedEvents(engine);
    const answers: ListCacheAnswer[] = [];
    // A wait of 1 s: events released after 50 ms arrive inside it even on a loaded machine.
    const cache = await started(engine, events, 1000, answers);
    try {
      control.hold = true;
      const id = await engine.containers.create({ name: "held", image });
      const listing = cache.list({ all: true });
      setTimeout(() => {
        control.hold = false;
        control.release();
      }, 50);
      expect((await listing)?.map((c) => c.id)).toEqual([id]);

      control.hold = true;
      await engine.containers.create({ name: "never-sent", image });
      // The cache cannot vouch for its answer: the caller asks the engine instead.
      expect(await cache.list({ all: true })).toBeUndefined();
      const answered = await withStoreLists(engine, cache).containers.list({ all: true });
      expect(answered.map((c) => c.name).sort()).toEqual(["held", "never-sent"]);
      expect(answers).toEqual(["cache", "catch_up_timeout", "catch_up_timeout"]);
    } finally {
      cache.close();
    }
  });

  it("does not answer while the engine is unreachable", async () => {
    const engine = createFakeEngine();
    const answers: ListCacheAnswer[] = [];
    const cache = await started(engine, undefined, undefined, answers);
    try {
      engine.setReachable(false);
      expect(await cache.list({ all: true })).toBeUndefined();
      expect(answers).toEqual(["event_log_failed"]);
    } finally {
      cache.close();
    }
  });

  it("reads a container at most twice for a burst of its events, and ends with its newest state", async () => {
    const engine = createFakeEngine();
    engine.addImage(image);
    let inspections = 0;
    // Each inspection takes a while, so the burst's events arrive while one is under way.
    const slow = {
      ...engine,
      containers: {
        ...engine.containers,
        inspect: async (id: string, signal?: AbortSignal) => {
          inspections++;
          await new Promise((resolve) => setTimeout(resolve, 30));
          return engine.containers.inspect(id, signal);
        },
      },
    };
    const store = createContainerStore({ engine: slow, events: engine.events, logger });
    await store.start();
    try {
      const id = await engine.containers.create({ name: "burst", image });
      await engine.containers.start(id);
      await engine.containers.pause(id);
      await engine.containers.unpause(id);
      await until(() => [...store.containers()].some((c) => c.id === id && c.state === "running"));
      await store.refresh(id);
      expect([...store.containers()].find((c) => c.id === id)?.state).toBe("running");
      // create, start, pause, unpause: one read under way and one behind it, then the refresh.
      expect(inspections).toBeLessThanOrEqual(3);
    } finally {
      store.close();
    }
  });
});

describe("container store: changes dockhand makes itself", () => {
  /** The fake's events carry the wall clock: a read begun in a later millisecond comes after them. */
  async function nextMillisecond(): Promise<void> {
    const now = Date.now();
    while (Date.now() <= now) await new Promise((resolve) => setTimeout(resolve, 1));
  }

  function counted(engine: FakeEngine) {
    const counter = { inspections: 0 };
    const wrapped = {
      ...engine,
      containers: {
        ...engine.containers,
        inspect: (id: string, signal?: AbortSignal) => {
          counter.inspections++;
          return engine.containers.inspect(id, signal);
        },
      },
    };
    const store = createContainerStore({ engine: wrapped, events: engine.events, logger, answersLists: true });
    return { store, counter };
  }

  it("reads a claimed new container once: the refresh after its start covers its create and start events", async () => {
    const engine = createFakeEngine();
    engine.addImage(image);
    const { store, counter } = counted(engine);
    await store.start();
    try {
      const release = store.claim("web-1");
      const id = await engine.containers.create({ name: "web-1", image });
      await engine.containers.start(id);
      await store.refresh(id);
      await release({ id, covers: ["create", "start"] });
      // A list waits until every event the engine logged was received and applied.
      expect((await store.list({ all: true }))?.map((c) => [c.id, c.state])).toEqual([[id, "running"]]);
      expect(counter.inspections).toBe(1);

      // What the engine does to it later is read as ever: a stop, and a start the claim did not cover.
      await engine.containers.stop(id, 1);
      await until(() => [...store.containers()].some((c) => c.id === id && c.state === "exited"));
      await engine.containers.start(id);
      await until(() => [...store.containers()].some((c) => c.id === id && c.state === "running"));
    } finally {
      store.close();
    }
  });

  it("reads a claimed container not at all while dockhand stops and removes it", async () => {
    const engine = createFakeEngine();
    engine.addImage(image);
    const { store, counter } = counted(engine);
    await store.start();
    try {
      const id = await engine.containers.create({ name: "web-2", image });
      await engine.containers.start(id);
      expect((await store.list({ all: true }))?.map((c) => c.state)).toEqual(["running"]);
      counter.inspections = 0;
      const release = store.claim("web-2");
      await engine.containers.stop(id, 1);
      await engine.containers.remove(id, { force: true, volumes: true });
      store.dropRemoved(id);
      await release();
      expect(await store.list({ all: true })).toEqual([]);
      expect(counter.inspections).toBe(0);
    } finally {
      store.close();
    }
  });

  it("reads a claimed container whose change ended without its own read, even events a read already passed", async () => {
    const engine = createFakeEngine();
    engine.addImage(image);
    const { store, counter } = counted(engine);
    await store.start();
    try {
      const release = store.claim("web-4");
      const id = await engine.containers.create({ name: "web-4", image });
      await engine.containers.start(id);
      engine.exitContainer(id, 2);
      await nextMillisecond();
      // The refresh covers create and start only: the exit it did not cause is read at the claim's end.
      await release({ id, covers: ["create", "start"] });
      expect((await store.list({ all: true }))?.map((c) => c.status)).toEqual([expect.stringMatching(/^Exited \(2\)/)]);
      expect(counter.inspections).toBeGreaterThanOrEqual(1);
    } finally {
      store.close();
    }
  });

  it("still answers a list exactly while a claim holds events back, and reads what a claim ended without", async () => {
    const engine = createFakeEngine();
    engine.addImage(image);
    const { store } = counted(engine);
    await store.start();
    try {
      const release = store.claim("web-3");
      const id = await engine.containers.create({ name: "web-3", image });
      expect((await store.list({ all: true }))?.map((c) => [c.id, c.state])).toEqual([[id, "created"]]);
      await engine.containers.start(id);
      // The change failed part-way: no refresh, no removal. Ending the claim reads what it held back.
      await release();
      await until(() => [...store.containers()].some((c) => c.id === id && c.state === "running"));
      expect((await store.list({ all: true }))?.map((c) => c.state)).toEqual(["running"]);
    } finally {
      store.close();
    }
  });
});
