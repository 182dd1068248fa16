import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, type Client } from "@connectrpc/connect";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import type { Engine } from "../../src/engine/engine.js";
import { startAuthRegistry, type AuthRegistry } from "../support/auth-registry.js";
import { requireEngine } from "../support/engine.js";
import { clientFor } from "../support/clients.js";
import { buildImage, removeImages, uniqueRepository } from "../support/images.js";
import { removeDataDir, startTestServer, type TestServer } from "../support/test-server.js";
import { failureOf } from "../support/failure.js";

async function drain(stream: AsyncIterable<{ event: { case: string | undefined; value?: unknown } }>) {
  let last: { case: string | undefined; value?: unknown } | undefined;
  for await (const message of stream) last = message.event;
  return last;
}

describe("per-call registry credentials", () => {
  let engine: Engine;
  let server: TestServer;
  let agent: Client<typeof ContainerAgent>;
  let registry: AuthRegistry;
  const local: string[] = [];

  beforeAll(async () => {
    engine = await requireEngine();
    registry = await startAuthRegistry();
    server = await startTestServer(engine);
    agent = clientFor(ContainerAgent, server.url);
  });
  afterAll(async () => {
    removeImages(local);
    await server?.close();
    if (server) removeDataDir(server.dataDir);
    await registry?.stop();
  });

  it("pushes and pulls with credentials; without or with wrong ones it is PERMISSION_DENIED", async () => {
    const image = `${uniqueRepository("auth", registry.host)}:1`;
    const id = buildImage(image);
    local.push(image, id);
    const auth = { username: registry.username, password: registry.password };
    const wrong = { username: registry.username, password: "wrong" };

    const anonymousPush = await failureOf(agent.pushImage({ image }));
    expect(anonymousPush.code).toBe(Code.PermissionDenied);
    expect(anonymousPush.rawMessage).toContain(image);
    expect((await failureOf(agent.pushImage({ image, auth: wrong }))).code).toBe(Code.PermissionDenied);
    const pushed = await drain(agent.pushImage({ image, auth }));
    expect(pushed?.case).toBe("result");

    await agent.deleteImage({ image });
    expect((await failureOf(agent.pullImage({ image }))).code).toBe(Code.PermissionDenied);
    expect((await failureOf(agent.pullImage({ image, auth: wrong }))).code).toBe(Code.PermissionDenied);
    const pulled = await drain(agent.pullImage({ image, auth: { ...auth, serverAddress: registry.host } }));
    expect(pulled).toMatchObject({ case: "result", value: { imageId: id } });
  });
});
