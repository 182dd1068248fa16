import { describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  EventAction,
  EventType,
  type Event,
  type WatchEventsRequestSchema,
  type WatchEventsResponse,
} from "../../gen/dockhand/v1/agent_streams_pb.js";
import { HealthStatus } from "../../gen/dockhand/v1/scaler_pb.js";
import { testImage } from "../support/engine.js";
import { expectCode, startContainerFixture } from "../support/container-fixture.js";
import { buildImage, registryHost, removeImages, uniqueRepository } from "../support/images.js";
import { run } from "../support/run.js";
import { useSecondEngineServer, type SecondEngineServer } from "../support/second-engine-server.js";
import { until } from "../support/until.js";

type WatchRequest = MessageInitShape<typeof WatchEventsRequestSchema>;

/** A WatchEvents call read message by message, cancelled by `close()`. */
function watch(env: { agent: SecondEngineServer["agent"] }, request: WatchRequest) {
  const controller = new AbortController();
  const iterator = env.agent.watchEvents(request, { signal: controller.signal })[Symbol.asyncIterator]();
  const seen: WatchEventsResponse[] = [];
  const events = () => seen.flatMap((m) => (m.item.case === "event" ? [m.item.value] : []));
  return {
    seen,
    events,
    /** Reads until `want` holds for the events (or messages) seen so far. */
    async until(want: (events: Event[], messages: WatchEventsResponse[]) => boolean): Promise<Event[]> {
      while (!want(events(), seen)) {
        const next = await iterator.next();
        if (next.done) throw new Error(`stream ended after ${JSON.stringify(events().map((e) => e.rawAction))}`);
        seen.push(next.value);
      }
      return events();
    },
    async close(): Promise<void> {
      controller.abort();
      await iterator.next().catch((err: unknown) => expect(ConnectError.from(err).code).toBe(Code.Canceled));
    },
  };
}

const has = (events: Event[], id: string, action: EventAction) =>
  events.some((e) => e.id === id && e.action === action);

describe("ContainerAgent.WatchEvents on an engine of its own", () => {
  const env = useSecondEngineServer("agentevt");
  const run = `${process.pid}`;

  async function create(name: string, labels: Record<string, string>, extra: object = {}): Promise<string> {
    const container = await env.engine.docker.createContainer({
      name,
      Image: testImage,
      Cmd: ["sleep", "3600"],
      Labels: { "dockhand.test": run, ...labels },
      HostConfig: { Init: true, NetworkMode: "none" },
      ...extra,
    });
    return container.id;
  }

  it("sends connected first, then typed container events: create, start, pause, unpause, die with its code, destroy", async () => {
    const stream = watch(env, { labels: [`dockhand.test=${run}`, "case=typed"] });
    await stream.until((_, messages) => messages.length === 1);
    expect(stream.seen[0]?.item.case).toBe("connected");
    const id = await create(`evt-typed-${run}`, { case: "typed" });
    const container = env.engine.docker.getContainer(id);
    await container.start();
    await container.pause();
    await container.unpause();
    await container.kill({ signal: "SIGKILL" });
    await container.remove();
    const events = await stream.until((seen) => has(seen, id, EventAction.DESTROY));
    const actions = [
      EventAction.CREATE,
      EventAction.START,
      EventAction.PAUSE,
      EventAction.UNPAUSE,
      EventAction.KILL,
      EventAction.DIE,
      EventAction.DESTROY,
    ];
    // Under load the engine can log a pause and an unpause twice: its containerd event monitor
    // logs them again when containerd's own notice comes after the call already did. Such a
    // repeated pair is the engine's, and is passed on as it came; it is folded here.
    const folded = events
      .map((e) => e.action)
      .filter((_, i, all) => {
        const pair = [EventAction.PAUSE, EventAction.UNPAUSE];
        const repeat = (at: number) =>
          all[at] === pair[0] && all[at + 1] === pair[1] && all[at - 2] === pair[0] && all[at - 1] === pair[1];
        return !(repeat(i) || repeat(i - 1));
      });
    expect(folded).toEqual(actions);
    const died = events.find((e) => e.action === EventAction.DIE);
    expect(died).toMatchObject({
      type: EventType.CONTAINER,
      rawAction: "die",
      id,
      name: `evt-typed-${run}`,
      exitCode: 137,
    });
    expect(died?.attributes.case).toBe("typed");
    expect(died?.time?.seconds).toBeGreaterThan(0n);
    expect(events.find((e) => e.action === EventAction.CREATE)?.exitCode).toBeUndefined();
    await stream.close();
  });

  it("reports health_status with the new health, and oom", async () => {
    const stream = watch(env, {
      labels: [`dockhand.test=${run}`, "case=health"],
      actions: [EventAction.HEALTH_STATUS, EventAction.OOM, EventAction.DIE],
    });
    await stream.until((_, messages) => messages.length === 1);
    const healthy = await create(
      `evt-health-${run}`,
      { case: "health" },
      { Healthcheck: { Test: ["CMD", "true"], Interval: 1e9, Timeout: 1e9, Retries: 1 } },
    );
    await env.engine.docker.getContainer(healthy).start();
    const hungry = await create(
      `evt-oom-${run}`,
      { case: "health" },
      {
        Cmd: ["tail", "/dev/zero"],
        HostConfig: { Init: true, NetworkMode: "none", Memory: 8 << 20, MemorySwap: 8 << 20 },
      },
    );
    await env.engine.docker.getContainer(hungry).start();
    let events = await stream.until(
      (seen) => has(seen, healthy, EventAction.HEALTH_STATUS) && has(seen, hungry, EventAction.DIE),
    );
    // The engine logs the oom event (and sets OOMKilled) when containerd reports the OOM, which
    // may come after the exit, or never: containerd loses it when the container's cgroup is gone
    // before it reads it (seen on a loaded machine). Once the engine says OOMKilled, the event
    // was logged and comes down the stream.
    const oomKilled = (await env.engine.docker.getContainer(hungry).inspect()).State.OOMKilled;
    if (oomKilled) events = await stream.until((seen) => has(seen, hungry, EventAction.OOM));
    const oomSeen = has(events, hungry, EventAction.OOM);
    expect(events.find((e) => e.id === healthy)).toMatchObject({
      rawAction: "health_status",
      detail: "healthy",
      health: HealthStatus.HEALTHY,
    });
    expect(
      events
        .filter((e) => e.id === hungry)
        .map((e) => e.action)
        .sort(),
    ).toEqual((oomSeen ? [EventAction.OOM, EventAction.DIE] : [EventAction.DIE]).sort());
    expect(events.find((e) => e.id === hungry && e.action === EventAction.DIE)?.exitCode).toBe(137);
    // Only the actions asked for.
    expect(events.every((e) => [EventAction.HEALTH_STATUS, EventAction.OOM, EventAction.DIE].includes(e.action))).toBe(
      true,
    );
    await stream.close();
    for (const id of [healthy, hungry]) await env.engine.docker.getContainer(id).remove({ force: true });
  });

  it("filters by service (any of them) and by container name", async () => {
    const services = watch(env, { services: [`svc-a-${run}`, `svc-b-${run}`], actions: [EventAction.CREATE] });
    const byName = watch(env, { containers: [`evt-svc-b-${run}`], actions: [EventAction.CREATE] });
    await services.until((_, messages) => messages.length === 1);
    await byName.until((_, messages) => messages.length === 1);
    const a = await create(`evt-svc-a-${run}`, { "dockhand.service": `svc-a-${run}` });
    const other = await create(`evt-svc-c-${run}`, { "dockhand.service": `svc-c-${run}` });
    const plain = await create(`evt-plain-${run}`, {});
    const b = await create(`evt-svc-b-${run}`, { "dockhand.service": `svc-b-${run}` });
    const seen = await services.until((events) => has(events, b, EventAction.CREATE));
    expect(seen.map((e) => [e.id, e.service])).toEqual([
      [a, `svc-a-${run}`],
      [b, `svc-b-${run}`],
    ]);
    expect((await byName.until((events) => has(events, b, EventAction.CREATE))).map((e) => e.id)).toEqual([b]);
    await services.close();
    await byName.close();
    for (const id of [a, other, plain, b]) await env.engine.docker.getContainer(id).remove({ force: true });
  });

  it("survives an engine restart: sends resynced, then the events after it", async () => {
    const stream = watch(env, { labels: [`dockhand.test=${run}`, "case=restart"] });
    await stream.until((_, messages) => messages.length === 1);
    const before = await create(`evt-before-${run}`, { case: "restart" });
    await stream.until((events) => has(events, before, EventAction.CREATE));

    await env.second.stop("SIGKILL");
    await env.second.start();
    await stream.until((_, messages) => messages.some((m) => m.item.case === "resynced"));
    const resynced = stream.seen.find((m) => m.item.case === "resynced");
    expect(resynced?.item.value).toMatchObject({ reason: expect.any(String), lostTime: expect.anything() });

    const after = await create(`evt-after-${run}`, { case: "restart" });
    await env.engine.docker.getContainer(after).start();
    const events = await stream.until((seen) => has(seen, after, EventAction.START));
    expect(has(events, after, EventAction.CREATE)).toBe(true);
    // The replay after the gap repeats nothing already sent.
    const keys = events.map((e) => `${e.time?.seconds}.${e.time?.nanos}|${e.rawAction}|${e.id}`);
    expect(new Set(keys).size).toBe(keys.length);
    await stream.close();
    for (const id of [before, after]) await env.engine.docker.getContainer(id).remove({ force: true });
  });

  it("a cancelled stream closes its engine event stream", async () => {
    const listeners = env.second.eventListeners();
    const streams = [watch(env, {}), watch(env, { types: [EventType.IMAGE] })];
    for (const stream of streams) await stream.until((_, messages) => messages.length === 1);
    expect(env.second.eventListeners()).toBe(listeners + 2);
    for (const stream of streams) await stream.close();
    await until(() => env.second.eventListeners() === listeners, 10_000);
    expect(env.second.eventListeners()).toBe(listeners);
  });

  it("refuses bad filters with INVALID_ARGUMENT naming the field, opening no stream", async () => {
    const listeners = env.second.eventListeners();
    const first = (request: WatchRequest) => env.agent.watchEvents(request)[Symbol.asyncIterator]().next();
    await expectCode(first({ types: [EventType.UNSPECIFIED] }), Code.InvalidArgument, "types[0]");
    await expectCode(
      first({ actions: [EventAction.START, EventAction.UNSPECIFIED] }),
      Code.InvalidArgument,
      "actions[1]",
    );
    await expectCode(first({ services: ["Not A Service"] }), Code.InvalidArgument, "services[0]");
    await expectCode(first({ containers: ["a/b"] }), Code.InvalidArgument, "containers[0]");
    await expectCode(first({ labels: ["=x"] }), Code.InvalidArgument, "labels[0]");
    await expectCode(first({ containers: ["web"], types: [EventType.IMAGE] }), Code.InvalidArgument, "types");
    expect(env.second.eventListeners()).toBe(listeners);
  });
});

describe("ContainerAgent.WatchEvents: image events", () => {
  it("reports pull and delete of an image, with its reference", async () => {
    const fx = await startContainerFixture("imgevt");
    const repository = uniqueRepository("events", registryHost);
    const ref = `${repository}:1`;
    const local: string[] = [ref];
    try {
      const id = buildImage(ref);
      local.push(id);
      expect((await run("docker", ["push", ref])).code).toBe(0);
      removeImages([ref, id]);
      const stream = watch(fx, { types: [EventType.IMAGE] });
      await stream.until((_, messages) => messages.length === 1);
      for await (const _ of fx.agent.pullImage({ image: ref }));
      await fx.agent.deleteImage({ image: ref });
      const mine = (events: Event[]) => events.filter((e) => e.id === ref || e.id === id || e.name === ref);
      const events = await stream.until((seen) => mine(seen).some((e) => e.action === EventAction.DELETE));
      expect(mine(events).find((e) => e.action === EventAction.PULL)).toMatchObject({
        type: EventType.IMAGE,
        id: ref,
        rawAction: "pull",
      });
      expect(mine(events).map((e) => e.action)).toEqual(
        expect.arrayContaining([EventAction.PULL, EventAction.UNTAG, EventAction.DELETE]),
      );
      await stream.close();
    } finally {
      removeImages(local);
      await fx.close();
    }
  });
});
