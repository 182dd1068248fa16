import { afterAll, beforeAll } from "vitest";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import type { Config } from "../../src/app/config.js";
import { requireEngine, testImage } from "./engine.js";
import { clientFor } from "./clients.js";
import {
  removeDataDir,
  removeServiceContainers,
  startTestServer,
  uniqueServiceName,
  type TestServer,
} from "./test-server.js";

export interface ServerFixture {
  readonly engine: Awaited<ReturnType<typeof requireEngine>>;
  readonly server: TestServer;
  /** A unique service name whose containers are removed after the file's tests. */
  service(prefix: string): string;
  /** Creates a service of the test image running `sleep 3600` with init, plus `extra` fields. */
  createService(name: string, extra?: Record<string, unknown>): Promise<void>;
}

/**
 * A real engine and a dockhand server for one test file, set up before its tests and torn
 * down after them, with the containers of every service the file named removed.
 */
export function useTestServer(overrides: Partial<Config> = {}): ServerFixture {
  const names: string[] = [];
  let engine: ServerFixture["engine"] | undefined;
  let server: TestServer | undefined;

  beforeAll(async () => {
    engine = await requireEngine();
    server = await startTestServer(engine, overrides);
  });
  afterAll(async () => {
    // The server first: its reconciler would otherwise recreate what is removed.
    await server?.close();
    if (engine) await removeServiceContainers(engine, names);
    if (server) removeDataDir(server.dataDir);
  });

  return {
    get engine() {
      if (!engine) throw new Error("the engine is only there inside tests");
      return engine;
    },
    get server() {
      if (!server) throw new Error("the server is only there inside tests");
      return server;
    },
    service(prefix) {
      const name = uniqueServiceName(prefix);
      names.push(name);
      return name;
    },
    async createService(name, extra = {}) {
      await clientFor(ServiceRegistry, this.server.url).createService({
        service: { name, image: testImage, command: ["sleep", "3600"], init: true, ...extra },
      });
    },
  };
}
