import { beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { ContainerStats } from "../../gen/dockhand/v1/agent_streams_pb.js";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import { clientFor } from "../support/clients.js";
import { expectCode, useContainerFixture } from "../support/container-fixture.js";
import { daemonConnections, socketsInUse, steady } from "../support/engine-connections.js";
import { useSecondEngineServer } from "../support/second-engine-server.js";
import { until } from "../support/until.js";

const mib = 1024n * 1024n;

describe("ContainerAgent.GetStats and StreamStats", () => {
  const fx = useContainerFixture("stats");
  /** Burns CPU with `yes`, beside two sleeps: docker-init, sh (kept by `; true`), 2 sleeps and yes are 5 pids. */
  let busy: string;
  let idle: string;

  beforeAll(async () => {
    busy = (
      await fx.run({
        command: ["sh", "-c", "sleep 1000 & sleep 1000 & yes > /dev/null; true"],
        resources: { memoryBytes: 64n * mib },
      })
    ).id;
    idle = (await fx.run()).id;
  });

  it("measures CPU over two engine samples, memory against the limit, and pids (grpc and connect)", async () => {
    for (const protocol of ["grpc", "connect"] as const) {
      const { stats } = await clientFor(ContainerAgent, fx.server.url, protocol).getStats({ id: busy });
      const s = stats as ContainerStats;
      expect(s.onlineCpus).toBeGreaterThanOrEqual(1);
      expect(s.cpuPercent).toBeGreaterThan(1);
      expect(s.cpuPercent).toBeLessThanOrEqual(100 * s.onlineCpus + 1);
      expect(s.memoryLimitBytes).toBe(64n * mib);
      expect(s.memoryUsageBytes).toBeGreaterThan(0n);
      expect(s.memoryUsageBytes).toBeLessThan(64n * mib);
      expect(s.pids).toBe(5n);
      expect(timestampMs(s.time!)).toBeGreaterThan(Date.now() - 60_000);
    }
    const quiet = (await fx.agent.getStats({ id: idle })).stats as ContainerStats;
    expect(quiet.cpuPercent).toBeLessThan(5);
    // No limit of its own: the host's memory.
    expect(quiet.memoryLimitBytes).toBeGreaterThan(64n * mib);
  });

  it("counts network bytes both ways", async () => {
    const server = await fx.run({ command: ["httpd", "-f", "-p", "8080", "-h", "/"] });
    const { container } = await fx.agent.getContainer({ id: server.id });
    const address = Object.values(
      (await fx.engine.docker.getContainer(server.id).inspect()).NetworkSettings.Networks,
    )[0]?.IPAddress;
    expect(container?.id).toBe(server.id);
    const client = await fx.run({
      command: ["wget", "-q", "-O", "/dev/null", `http://${address}:8080/bin/busybox`],
      init: false,
    });
    expect((await fx.agent.waitContainer({ id: client.id })).exitCode).toBe(0);
    const busyboxBytes = BigInt((await fx.engine.docker.getImage("dockhand-test/busybox:1").inspect()).Size);
    // A sample reads the counters at its own moment, which can come a few bytes before the
    // last segment is counted: read again until the whole file shows.
    let s = (await fx.agent.getStats({ id: server.id })).stats as ContainerStats;
    await until(async () => {
      s = (await fx.agent.getStats({ id: server.id })).stats as ContainerStats;
      return s.networkTxBytes >= busyboxBytes;
    });
    expect(s.networkTxBytes).toBeGreaterThanOrEqual(busyboxBytes);
    expect(s.networkRxBytes).toBeGreaterThan(0n);
    // This engine's storage has no block device of its own to account for, so only the fields are checked.
    expect(s.blockReadBytes).toBeGreaterThanOrEqual(0n);
    expect(s.blockWriteBytes).toBeGreaterThanOrEqual(0n);
  });

  it("streams one sample per interval, each measuring CPU since the one before", async () => {
    const controller = new AbortController();
    const samples: ContainerStats[] = [];
    try {
      for await (const { stats } of fx.agent.streamStats(
        { id: busy, interval: { seconds: 2n } },
        { signal: controller.signal },
      )) {
        samples.push(stats as ContainerStats);
        if (samples.length === 3) controller.abort();
      }
    } catch (err) {
      expect(ConnectError.from(err).code).toBe(Code.Canceled);
    }
    expect(samples).toHaveLength(3);
    for (const [i, s] of samples.entries()) {
      expect(s.cpuPercent).toBeGreaterThan(1);
      if (i > 0) expect(timestampMs(s.time!) - timestampMs(samples[i - 1]!.time!)).toBeGreaterThanOrEqual(1750);
    }
  });

  it("ends the stream cleanly when the container stops", async () => {
    const short = await fx.run({ command: ["sh", "-c", "sleep 3"] });
    const samples: ContainerStats[] = [];
    for await (const { stats } of fx.agent.streamStats({ id: short.id })) samples.push(stats as ContainerStats);
    expect((await fx.agent.getContainer({ id: short.id })).container?.exitCode).toBe(0);
    expect(samples.every((s) => s.pids >= 1n)).toBe(true);
  });

  it("refuses a container that is not running, a missing one, and bad intervals", async () => {
    const stopped = await fx.create();
    await expectCode(fx.agent.getStats({ id: stopped.id }), Code.FailedPrecondition, "not running");
    const first = (request: Parameters<typeof fx.agent.streamStats>[0]) =>
      fx.agent.streamStats(request)[Symbol.asyncIterator]().next();
    await expectCode(first({ id: stopped.id }), Code.FailedPrecondition, "not running");
    await expectCode(fx.agent.getStats({ id: `t-stats-absent-${process.pid}` }), Code.NotFound);
    await expectCode(first({ id: `t-stats-absent-${process.pid}` }), Code.NotFound);
    await expectCode(fx.agent.getStats({ id: "" }), Code.InvalidArgument, "id");
    await expectCode(first({ id: idle, interval: { nanos: 500_000_000 } }), Code.InvalidArgument, "interval");
    await expectCode(first({ id: idle, interval: { seconds: 7200n } }), Code.InvalidArgument, "interval");
    await expectCode(first({ id: idle, interval: { seconds: -1n } }), Code.InvalidArgument, "interval");
  });
});

describe("ContainerAgent.StreamStats: cancelling closes the engine connection", () => {
  const env = useSecondEngineServer("stats");

  it("leaves no stats stream open on the engine after a cancel, nor after GetStats", async () => {
    const socket = env.second.socketPath;
    const id = await env.run("exec sleep 3600");
    const inUse = () => socketsInUse(socket);
    const idle = await steady(inUse);
    const before = await steady(() => daemonConnections(socket));

    await env.agent.getStats({ id });
    const controllers = [new AbortController(), new AbortController()];
    const streams = controllers.map((c) =>
      env.agent.streamStats({ id, interval: { seconds: 60n } }, { signal: c.signal })[Symbol.asyncIterator](),
    );
    // A first sample, then a wait of a minute for the next one: only the cancel ends it.
    for (const stream of streams) expect((await stream.next()).done).toBe(false);
    const pending = streams.map((stream) => stream.next().catch((err: unknown) => ConnectError.from(err).code));
    await until(() => inUse() === idle + 2, 10_000);
    expect(inUse()).toBe(idle + 2);
    expect(daemonConnections(socket)).toBeGreaterThanOrEqual(idle + 2);

    for (const controller of controllers) controller.abort();
    expect(await Promise.all(pending)).toEqual([Code.Canceled, Code.Canceled]);
    await until(() => inUse() === idle && daemonConnections(socket) <= before, 10_000);
    expect(inUse()).toBe(idle);
    expect(daemonConnections(socket)).toBeLessThanOrEqual(before);
  });
});
