import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { startAuthRegistry, type AuthRegistry } from "../support/auth-registry.js";
import { buildImage, removeImages, uniqueRepository } from "../support/images.js";
import { failureOf } from "../support/failure.js";
import { useContainerFixture } from "../support/container-fixture.js";

async function drain(stream: AsyncIterable<{ event: { case: string | undefined; value?: unknown } }>) {
  let last: { case: string | undefined; value?: unknown } | undefined;
  for await (const message of stream) last = message.event;
  return last;
}

describe("per-call registry credentials", () => {
  const fx = useContainerFixture("auth");
  let registry: AuthRegistry;
  const local: string[] = [];

  beforeAll(async () => {
    registry = await startAuthRegistry();
  });
  afterAll(async () => {
    removeImages(local);
    await registry?.stop();
  });

  it("pushes and pulls with credentials; without or with wrong ones it is PERMISSION_DENIED", async () => {
    const image = `${uniqueRepository("auth", registry.host)}:1`;
    const id = buildImage(image);
    local.push(image, id);
    const auth = { username: registry.username, password: registry.password };
    const wrong = { username: registry.username, password: "wrong" };

    const anonymousPush = await failureOf(fx.agent.pushImage({ image }));
    expect(anonymousPush.code).toBe(Code.PermissionDenied);
    expect(anonymousPush.rawMessage).toContain(image);
    expect((await failureOf(fx.agent.pushImage({ image, auth: wrong }))).code).toBe(Code.PermissionDenied);
    const pushed = await drain(fx.agent.pushImage({ image, auth }));
    expect(pushed?.case).toBe("result");

    await fx.agent.deleteImage({ image });
    expect((await failureOf(fx.agent.pullImage({ image }))).code).toBe(Code.PermissionDenied);
    expect((await failureOf(fx.agent.pullImage({ image, auth: wrong }))).code).toBe(Code.PermissionDenied);
    const pulled = await drain(fx.agent.pullImage({ image, auth: { ...auth, serverAddress: registry.host } }));
    expect(pulled).toMatchObject({ case: "result", value: { imageId: id } });
  });
});
