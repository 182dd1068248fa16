import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { ContainerState, Scaler, type ServiceStatus } from "../../gen/dockhand/v1/scaler_pb.js";
import { createDockerEngine } from "../../src/engine/docker/docker-engine.js";
import type { Engine } from "../../src/engine/engine.js";
import { testImage } from "../support/engine.js";
import { clientFor, type WireProtocol } from "../support/clients.js";
import { startSecondEngine, type SecondEngine } from "../support/second-engine.js";
import {
  removeDataDir,
  removeServiceContainers,
  startTestServer,
  uniqueServiceName,
  type TestServer,
} from "../support/test-server.js";
import { until } from "../support/until.js";

// Against a dockerd of its own, so that counting the engine's event listeners before and
// after counts this test's streams only.
describe("Scaler.WatchStatus", () => {
  let second: SecondEngine;
  let engine: Engine;
  let server: TestServer;
  const names: string[] = [];

  beforeAll(async () => {
    second = await startSecondEngine("watch");
    second.loadImage(testImage);
    engine = createDockerEngine({ url: second.url });
    server = await startTestServer(engine, { dockerUrl: second.url });
  });
  afterAll(async () => {
    // The server first: its reconciler would otherwise recreate what is removed.
    await server?.close();
    if (engine) await removeServiceContainers(engine, names).catch(() => undefined);
    if (server) removeDataDir(server.dataDir);
    await second?.destroy();
  });

  async function createService(): Promise<string> {
    const name = uniqueServiceName("watch");
    names.push(name);
    await clientFor(ServiceRegistry, server.url).createService({
      service: { name, image: testImage, command: ["sleep", "3600"], init: true },
    });
    return name;
  }

  for (const protocol of ["grpc", "connect"] satisfies WireProtocol[]) {
    it(`sends the current status, a new one as a Scale changes containers, and ends on cancel (${protocol})`, async () => {
      const name = await createService();
      const listenersBefore = second.eventListeners();
      const controller = new AbortController();
      const stream = clientFor(Scaler, server.url, protocol).watchStatus({ name }, { signal: controller.signal });
      const iterator = stream[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect(first.value?.status).toMatchObject({ name, desired: 0, running: 0, containers: [] });
      // Watchers follow the server's live view: a watch opens no engine stream of its own.
      expect(second.eventListeners()).toBe(listenersBefore);

      await clientFor(Scaler, server.url).scale({ name, replicas: 2 });
      const seen: ServiceStatus[] = [];
      while (seen.at(-1)?.running !== 2) {
        const next = await iterator.next();
        expect(next.done).toBe(false);
        seen.push(next.value.status as ServiceStatus);
      }
      const last = seen.at(-1);
      expect(last?.desired).toBe(2);
      expect(last?.containers.map((c) => c.state)).toEqual([ContainerState.RUNNING, ContainerState.RUNNING]);

      await clientFor(Scaler, server.url).scale({ name, replicas: 0 });
      while (seen.at(-1)?.containers.length !== 0) seen.push((await iterator.next()).value.status as ServiceStatus);
      expect(seen.at(-1)?.running).toBe(0);

      controller.abort();
      const ended = await iterator.next().catch((err: unknown) => ConnectError.from(err));
      expect(ended instanceof ConnectError ? ended.code : "done").toBe(
        ended instanceof ConnectError ? Code.Canceled : "done",
      );
      await until(() => second.eventListeners() === listenersBefore);
    });
  }

  it("fails with NOT_FOUND for an unknown service and INVALID_ARGUMENT for a bad name, leaving no stream open", async () => {
    const listenersBefore = second.eventListeners();
    const read = async (name: string) => {
      try {
        for await (const _ of clientFor(Scaler, server.url).watchStatus({ name })) return "message";
        return "ended";
      } catch (err) {
        return ConnectError.from(err);
      }
    };
    const missing = await read("t-watch-absent-service");
    expect((missing as ConnectError).code).toBe(Code.NotFound);
    expect((missing as ConnectError).rawMessage).toContain("t-watch-absent-service");
    const bad = await read("Not A Name!");
    expect((bad as ConnectError).code).toBe(Code.InvalidArgument);
    await until(() => second.eventListeners() === listenersBefore);
  });

  it("streams over gRPC-web to buf curl, and a killed client leaves no stream open", async () => {
    const name = await createService();
    const listenersBefore = second.eventListeners();
    const curl = spawn(
      "npx",
      [
        "buf",
        "curl",
        "--protocol",
        "grpcweb",
        "--schema",
        "proto",
        "-d",
        JSON.stringify({ name }),
        `${server.url}/dockhand.v1.Scaler/WatchStatus`,
      ],
      // Its own process group, so that the kill reaches buf and not only npx.
      { stdio: ["ignore", "pipe", "pipe"], detached: true },
    );
    let out = "";
    curl.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    const exited = new Promise<void>((resolve) => curl.once("exit", () => resolve()));
    await until(() => /}\s*$/.test(out));
    expect(JSON.parse(out).status.name).toBe(name);

    await clientFor(Scaler, server.url).scale({ name, replicas: 1 });
    await until(() => out.includes('"running": 1'));
    process.kill(-(curl.pid as number), "SIGTERM");
    await exited;
    await until(() => second.eventListeners() === listenersBefore);
  });
});
