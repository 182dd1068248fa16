import { afterAll, beforeAll } from "vitest";
import { ServiceRegistry } from "../../../gen/dockhand/v1/registry_pb.js";
import { createDockerEngine } from "../../../src/engine/docker/docker-engine.js";
import { testImage } from "../engine.js";
import { clientFor } from "../clients.js";
import { removeDataDir, startTestServer, uniqueServiceName, type TestServer } from "../test-server.js";
import { startTestSwarm, type TestSwarm } from "./three-node-swarm.js";

export interface SwarmServerFixture {
  readonly swarm: TestSwarm;
  readonly server: TestServer;
  service(prefix: string): string;
  /** A service of the test image running `sleep 3600` with init and a 1 s grace, plus `extra`. */
  createService(name: string, extra?: Record<string, unknown>): Promise<void>;
  /** The node's hostname each of the swarm's nodes has, node 1 first. */
  hostnames(): string[];
}

/**
 * One three-node swarm and a dockhand on its manager with `--orchestrator swarm`, shared by the
 * tests of a file (forming a swarm takes seconds; a file makes one). The teardown checks that
 * nothing of the swarm is left on the host.
 */
export function useSwarmServer(): SwarmServerFixture {
  let swarm: TestSwarm | undefined;
  let server: TestServer | undefined;

  beforeAll(async () => {
    swarm = await startTestSwarm();
    const engine = createDockerEngine({ url: swarm.manager.url });
    server = await startTestServer(engine, { orchestrator: "swarm", dockerUrl: swarm.manager.url });
  }, 240_000);
  afterAll(async () => {
    await server?.close();
    if (server) removeDataDir(server.dataDir);
    await swarm?.destroy();
  }, 120_000);

  return {
    get swarm() {
      if (!swarm) throw new Error("the swarm is only there inside tests");
      return swarm;
    },
    get server() {
      if (!server) throw new Error("the server is only there inside tests");
      return server;
    },
    service: (prefix) => uniqueServiceName(prefix),
    async createService(name, extra = {}) {
      await clientFor(ServiceRegistry, this.server.url).createService({
        service: {
          name,
          image: testImage,
          command: ["sleep", "3600"],
          init: true,
          stopGracePeriod: { seconds: 1n },
          ...extra,
        },
      });
    },
    hostnames() {
      return this.swarm.nodes.map((node) => node.hostname);
    },
  };
}
