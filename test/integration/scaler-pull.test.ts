import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import type { Engine } from "../../src/engine/engine.js";
import { requireEngine } from "../support/engine.js";
import { clientFor } from "../support/clients.js";
import { buildImage, deleteFromRegistry, registryHost, removeImages, uniqueRepository } from "../support/images.js";
import {
  removeDataDir,
  removeServiceContainers,
  startTestServer,
  uniqueServiceName,
  type TestServer,
} from "../support/test-server.js";

describe("Scaler pulls a missing image once", () => {
  let engine: Engine;
  let server: TestServer;
  /** Every pull the scaler asked the engine for. */
  const pulls: string[] = [];
  const names: string[] = [];
  const local: string[] = [];
  let published: { repository: string; digest: string } | undefined;

  beforeAll(async () => {
    engine = await requireEngine();
    const counting: Engine = {
      ...engine,
      images: {
        ...engine.images,
        pull: (ref, options) => {
          pulls.push(ref);
          return engine.images.pull(ref, options);
        },
      },
    };
    server = await startTestServer(counting);
  });
  afterAll(async () => {
    // The server first: its reconciler would otherwise recreate what is removed.
    await server?.close();
    await removeServiceContainers(engine, names);
    removeImages(local);
    if (published) await deleteFromRegistry(published.repository, published.digest);
    if (server) removeDataDir(server.dataDir);
  });

  async function createService(prefix: string, image: string): Promise<string> {
    const name = uniqueServiceName(prefix);
    names.push(name);
    await clientFor(ServiceRegistry, server.url).createService({
      service: { name, image, command: ["sleep", "3600"], init: true },
    });
    return name;
  }

  it("pulls an image only in the registry once for two services of 3 replicas scaled at once", async () => {
    const repository = uniqueRepository("scale", registryHost);
    const image = `${repository}:1`;
    local.push(buildImage(image), image);
    const agent = clientFor(ContainerAgent, server.url);
    for await (const message of agent.pushImage({ image })) {
      if (message.event.case === "result") published = { repository, digest: message.event.value.digest };
    }
    await agent.deleteImage({ image });

    const first = await createService("pull-a", image);
    const second = await createService("pull-b", image);
    const scaler = clientFor(Scaler, server.url);
    const [a, b] = await Promise.all([
      scaler.scale({ name: first, replicas: 3 }),
      scaler.scale({ name: second, replicas: 3 }),
    ]);
    expect(a.status?.running).toBe(3);
    expect(b.status?.running).toBe(3);
    expect(pulls.filter((ref) => ref === image)).toHaveLength(1);
    expect((await agent.getImage({ image })).image?.repoDigests).toContain(`${repository}@${published?.digest}`);

    await scaler.scale({ name: first, replicas: 4 });
    expect(pulls.filter((ref) => ref === image)).toHaveLength(1);

    // Found once, the image is not looked for before each create; removed behind dockhand's
    // back, the create's NotFound has it pulled again.
    await scaler.scale({ name: first, replicas: 0 });
    await scaler.scale({ name: second, replicas: 0 });
    await agent.deleteImage({ image });
    expect((await scaler.scale({ name: first, replicas: 2 })).status?.running).toBe(2);
    expect(pulls.filter((ref) => ref === image)).toHaveLength(2);
  });

  it("fails the scale with FAILED_PRECONDITION naming the image when the registry has no such tag", async () => {
    const image = `${uniqueRepository("scale-absent", registryHost)}:1`;
    const name = await createService("pull-absent", image);
    const scaler = clientFor(Scaler, server.url);
    for (let attempt = 1; attempt <= 2; attempt++) {
      const err = await scaler.scale({ name, replicas: 2 }).catch((e: unknown) => ConnectError.from(e));
      expect(err).toBeInstanceOf(ConnectError);
      expect((err as ConnectError).code).toBe(Code.FailedPrecondition);
      expect((err as ConnectError).rawMessage).toContain(image);
      expect((err as ConnectError).rawMessage).toMatch(/not found|manifest unknown/i);
      // A failed pull is not remembered: the next Scale tries again.
      expect(pulls.filter((ref) => ref === image)).toHaveLength(attempt);
    }
  });
});
