import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDockerEngine } from "../../src/engine/docker/docker-engine.js";
import type { Engine } from "../../src/engine/engine.js";
import type { EngineEvent, EngineEventItem } from "../../src/engine/event-stream.js";
import { isDockhandError } from "../../src/model/dockhand-error.js";
import { testImage } from "../support/engine.js";
import { startSecondEngine, type SecondEngine } from "../support/second-engine.js";
import { until } from "../support/until.js";

/** Reads items off a stream until `want` returns true for the list seen so far. */
async function readUntil(
  iterator: AsyncIterator<EngineEventItem>,
  want: (items: EngineEventItem[]) => boolean,
): Promise<EngineEventItem[]> {
  const items: EngineEventItem[] = [];
  while (!want(items)) {
    const next = await iterator.next();
    if (next.done) throw new Error(`stream ended early after ${JSON.stringify(items.map((i) => i.kind))}`);
    items.push(next.value);
  }
  return items;
}

const events = (items: EngineEventItem[]): EngineEvent[] => items.flatMap((i) => (i.kind === "event" ? [i.event] : []));
const has = (items: EngineEventItem[], id: string, action: string) =>
  events(items).some((e) => e.id === id && e.action === action);

describe("engine events against a second dockerd that restarts", () => {
  let second: SecondEngine;
  let engine: Engine;
  const label = `dockhand.test=events-${process.pid}`;

  beforeAll(async () => {
    second = await startSecondEngine("evt");
    second.loadImage(testImage);
    engine = createDockerEngine({ url: second.url });
  });
  afterAll(async () => {
    await second?.destroy();
  });

  const spec = (name: string, restart = false) => ({
    name,
    image: testImage,
    command: ["sleep", "3600"],
    init: true,
    labels: { "dockhand.test": `events-${process.pid}` },
    ...(restart ? { restart: { mode: "always" as const, maxRetries: 0 } } : {}),
  });

  it("delivers typed container events filtered by label, with the exit code on die", async () => {
    const controller = new AbortController();
    const stream = engine.events.watch({
      filters: { types: ["container"], labels: [label] },
      signal: controller.signal,
    });
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual({ kind: "connected" });
    const id = await engine.containers.create(spec(`evt-typed-${process.pid}`));
    await engine.containers.start(id);
    // SIGKILL, whose exit code is certain: a SIGTERM can reach tini before it forwards signals
    // (then the engine kills after the grace period, 137), or race a short grace's SIGKILL.
    await engine.containers.kill(id, "SIGKILL");
    const items = await readUntil(iterator, (seen) => has(seen, id, "die"));
    expect(events(items).map((e) => e.action)).toEqual(expect.arrayContaining(["create", "start", "die"]));
    const died = events(items).find((e) => e.action === "die");
    expect(died?.exitCode).toBe(137);
    expect(died?.attributes["dockhand.test"]).toBe(`events-${process.pid}`);
    await engine.containers.remove(id, { force: true, volumes: true });
    controller.abort();
    expect((await iterator.next()).done).toBe(true);
    await until(() => second.eventListeners() === 0);
  });

  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    it(`survives an engine restart (${signal}): reports the gap and delivers the events after it`, async () => {
      const controller = new AbortController();
      const iterator = engine.events
        .watch({ filters: { types: ["container"], labels: [label] }, signal: controller.signal })
        [Symbol.asyncIterator]();
      await readUntil(iterator, (seen) => seen.length === 1);
      // Restarted by the engine at start-up, possibly before the stream is back: replayed via `since`.
      const keeper = await engine.containers.create(spec(`evt-keeper-${signal}-${process.pid}`, true));
      await engine.containers.start(keeper);
      await readUntil(iterator, (seen) => has(seen, keeper, "start"));

      await second.stop(signal);
      await second.start();
      const resumed = await readUntil(
        iterator,
        (seen) => seen.some((i) => i.kind === "resynced") && has(seen, keeper, "start"),
      );
      const resync = resumed.find((i) => i.kind === "resynced");
      expect(resync).toMatchObject({ kind: "resynced", reason: expect.any(String) });

      const fresh = await engine.containers.create(spec(`evt-fresh-${signal}-${process.pid}`));
      await engine.containers.start(fresh);
      const after = await readUntil(iterator, (seen) => has(seen, fresh, "start"));
      expect(has(after, fresh, "create")).toBe(true);
      // A replay never repeats an event already delivered.
      const keys = [...resumed, ...after].flatMap((i) =>
        i.kind === "event" ? [`${i.event.timeNano}${i.event.action}${i.event.id}`] : [],
      );
      expect(new Set(keys).size).toBe(keys.length);

      await iterator.return?.();
      await until(() => second.eventListeners() === 0);
      for (const id of [keeper, fresh]) await engine.containers.remove(id, { force: true, volumes: true });
    });
  }

  it("closes the engine connection when the consumer stops iterating a quiet stream", async () => {
    const iterator = engine.events.watch({ filters: { labels: [label] } })[Symbol.asyncIterator]();
    await iterator.next();
    expect(second.eventListeners()).toBe(1);
    const pending = iterator.next();
    await iterator.return?.();
    expect((await pending).done).toBe(true);
    await until(() => second.eventListeners() === 0);
  });

  it("fails with Unavailable when the engine cannot be reached at the start", async () => {
    const absent = createDockerEngine({ url: `unix:///tmp/dockhand-absent-${process.pid}.sock` });
    const failure = await absent.events
      .watch({})
      [Symbol.asyncIterator]()
      .next()
      .catch((err: unknown) => err);
    expect(isDockhandError(failure, "Unavailable")).toBe(true);
  });
});
