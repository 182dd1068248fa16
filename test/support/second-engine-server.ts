/** A dockerd of the test's own (with the test image) and a dockhand server driving it, for tests that watch engine connections or restart the engine. */
import type { Client } from "@connectrpc/connect";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import { createDockerEngine } from "../../src/engine/docker/docker-engine.js";
import { clientFor } from "./clients.js";
import { useForFile } from "./file-fixture.js";
import { testImage } from "./engine.js";
import { startSecondEngine, type SecondEngine } from "./second-engine.js";
import { removeDataDir, startTestServer, type TestServer } from "./test-server.js";

/** A dockerd of the test's own with the test image, and a dockhand server driving it. */
export interface SecondEngineServer {
  readonly second: SecondEngine;
  readonly engine: ReturnType<typeof createDockerEngine>;
  readonly server: TestServer;
  readonly agent: Client<typeof ContainerAgent>;
  /** Creates and starts a container on the second engine: an init'ed `sh -c script`. */
  run(script: string, options?: { tty?: boolean }): Promise<string>;
  close(): Promise<void>;
}

export async function startSecondEngineServer(name: string): Promise<SecondEngineServer> {
  const second = await startSecondEngine(name);
  try {
    second.loadImage(testImage);
    const engine = createDockerEngine({ url: second.url });
    const server = await startTestServer(engine, { dockerUrl: second.url });
    return {
      second,
      engine,
      server,
      agent: clientFor(ContainerAgent, server.url),
      async run(script, options = {}) {
        const container = await engine.docker.createContainer({
          Image: testImage,
          Cmd: ["sh", "-c", script],
          Tty: options.tty ?? false,
          HostConfig: { Init: true, NetworkMode: "none" },
        });
        await container.start();
        return container.id;
      },
      async close() {
        await server.close();
        removeDataDir(server.dataDir);
        await second.destroy();
      },
    };
  } catch (err) {
    await second.destroy();
    throw err;
  }
}

/** A second engine and its server for one test file (see useForFile); its members are there inside tests and hooks. */
export function useSecondEngineServer(name: string): SecondEngineServer {
  return useForFile("the second engine", () => startSecondEngineServer(name));
}
