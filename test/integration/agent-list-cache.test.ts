import { beforeAll, describe, expect, it } from "vitest";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { ContainerState } from "../../gen/dockhand/v1/scaler_pb.js";
import { testImage } from "../support/engine.js";
import { useContainerFixture } from "../support/container-fixture.js";
import { sample } from "../support/metrics.js";
import { until } from "../support/until.js";

/** One sample's value from the server's /metrics, 0 when absent. */
async function metric(url: string, series: string): Promise<number> {
  return sample(await (await fetch(`${url}/metrics`)).text(), series) ?? 0;
}
const engineLists = 'dockhand_engine_call_duration_seconds_count{operation="listContainers",outcome="ok"}';
const cacheAnswers = (answer: string) => `dockhand_container_list_cache_lists_total{answer="${answer}"}`;

/** Durations move on between two reads; everything else of the text must be the engine's. */
function wording(status: string): string {
  return status.replace(/Less than a second|About a minute|\d+ (seconds?|minutes)/g, "<duration>");
}

/**
 * ListContainers (the basic view) answers from dockhand's event-fed cache of the engine's
 * containers. These tests change containers behind dockhand's back, straight on the engine,
 * and check that the very next list sees it, that the cache (not the engine's list) answered,
 * and that what it answers is what the engine's own list says.
 */
describe("ContainerAgent ListContainers from the container cache", () => {
  // A list waits as long as it takes for the engine's events (not the default 100 ms), so
  // that on a loaded machine too, every list below is the cache's answer and none the engine's.
  const fx = useContainerFixture("listcache", { listCacheWaitMs: 30_000 });
  beforeAll(async () => {
    // The first list starts the cache; lists are the engine's until it is built.
    await until(async () => {
      await fx.agent.listContainers({ all: true, labelSelector: [fx.selector] });
      return (await metric(fx.server.url, cacheAnswers("cache"))) > 0;
    }, 10_000);
  });

  const list = async (all = true) => (await fx.agent.listContainers({ all, labelSelector: [fx.selector] })).containers;

  it("sees a change made on the engine directly in the very next list, without the engine's list call", async () => {
    const listsBefore = await metric(fx.server.url, engineLists);
    const cachedBefore = await metric(fx.server.url, cacheAnswers("cache"));
    for (let round = 0; round < 5; round++) {
      const id = await fx.engine.containers.create({
        name: fx.name(`direct-${round}`),
        image: testImage,
        command: ["sleep", "3600"],
        init: true,
        labels: fx.labels,
      });
      expect((await list()).map((c) => c.id)).toContain(id);
      expect((await list(false)).map((c) => c.id)).not.toContain(id);
      await fx.engine.containers.start(id);
      expect((await list(false)).find((c) => c.id === id)?.state).toBe(ContainerState.RUNNING);
      await fx.engine.containers.remove(id, { force: true, volumes: true });
      expect((await list()).map((c) => c.id)).not.toContain(id);
    }
    // Every one of those 20 lists was answered by the cache.
    expect(await metric(fx.server.url, engineLists)).toBe(listsBefore);
    expect(await metric(fx.server.url, cacheAnswers("cache"))).toBe(cachedBefore + 20);
  });

  it("answers what the engine's own list answers: order, names, image, state, ports and status text", async () => {
    const created = await fx.create({ name: fx.name("created") });
    const running = await fx.run({ name: fx.name("running"), ports: [{ containerPort: 8080, hostIp: "127.0.0.1" }] });
    const exited = await fx.run({ name: fx.name("exited"), command: ["sh", "-c", "exit 3"] });
    await fx.agent.waitContainer({ id: exited.id });
    const paused = await fx.run({ name: fx.name("paused") });
    await fx.agent.pauseContainer({ id: paused.id });

    const cachedBefore = await metric(fx.server.url, cacheAnswers("cache"));
    const ours = await list();
    expect(await metric(fx.server.url, cacheAnswers("cache"))).toBe(cachedBefore + 1);
    const engines = await fx.engine.containers.list({ all: true, labels: [fx.selector] });
    expect(ours.map((c) => c.id)).toEqual(engines.map((c) => c.id));
    expect(ours.map((c) => c.id)).toEqual(expect.arrayContaining([created.id, running.id, exited.id, paused.id]));
    for (const [i, engine] of engines.entries()) {
      const cached = ours[i]!;
      expect({ name: cached.name, image: cached.image, imageId: cached.imageId, labels: cached.labels }).toEqual({
        name: engine.name,
        image: engine.image,
        imageId: engine.imageId,
        labels: engine.labels,
      });
      expect(wording(cached.status)).toBe(wording(engine.status));
      expect(Math.floor(timestampDate(cached.createTime!).getTime() / 1000)).toBe(engine.createdAt.getTime() / 1000);
      expect(cached.ports.map((p) => [p.containerPort, p.hostIp, p.hostPort])).toEqual(
        engine.ports.map((p) => [p.containerPort, p.hostIp, p.hostPort]),
      );
    }
    expect(ours.find((c) => c.id === exited.id)?.status).toMatch(/^Exited \(3\) /);
    expect(ours.find((c) => c.id === paused.id)?.status).toMatch(/\(Paused\)$/);
    expect((await list(false)).map((c) => c.id).sort()).toEqual([running.id, paused.id].sort());
    await fx.agent.unpauseContainer({ id: paused.id });
  });
});

describe("ContainerAgent ListContainers with the cache turned off", () => {
  const fx = useContainerFixture("nocache", { listCacheWaitMs: 0 });

  it("asks the engine's list every time when DOCKHAND_LIST_CACHE_WAIT_MS is 0", async () => {
    const listsBefore = await metric(fx.server.url, engineLists);
    const created = await fx.create({ name: fx.name("plain") });
    for (let i = 0; i < 3; i++) {
      const listed = await fx.agent.listContainers({ all: true, labelSelector: [fx.selector] });
      expect(listed.containers.map((c) => c.id)).toEqual([created.id]);
    }
    expect(await metric(fx.server.url, engineLists)).toBe(listsBefore + 3);
    expect(
      (await (await fetch(`${fx.server.url}/metrics`)).text()).includes("dockhand_container_list_cache_lists_total{"),
    ).toBe(false);
  });
});
