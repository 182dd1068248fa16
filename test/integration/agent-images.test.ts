import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import { SwarmState } from "../../gen/dockhand/v1/agent_images_pb.js";
import type { Engine } from "../../src/engine/engine.js";
import { requireEngine, testImage } from "../support/engine.js";
import { clientFor } from "../support/clients.js";
import { buildImage, removeImages, uniqueRepository } from "../support/images.js";
import { removeDataDir, startTestServer, type TestServer } from "../support/test-server.js";

async function codeOf(call: Promise<unknown>): Promise<{ code: Code; message: string }> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
  if (!err) throw new Error("expected the call to fail");
  return { code: err.code, message: err.rawMessage };
}

describe("ContainerAgent images against a real engine", () => {
  let engine: Engine;
  let server: TestServer;
  let agent: Client<typeof ContainerAgent>;
  const images: string[] = [];
  const containers: string[] = [];

  beforeAll(async () => {
    engine = await requireEngine();
    server = await startTestServer(engine);
    agent = clientFor(ContainerAgent, server.url);
  });
  afterAll(async () => {
    for (const id of containers) await engine.containers.remove(id, { force: true, volumes: true }).catch(() => undefined);
    removeImages(images);
    await server?.close();
    if (server) removeDataDir(server.dataDir);
  });

  function tagged(prefix: string): { ref: string; id: string } {
    const ref = `${uniqueRepository(prefix)}:1`;
    const id = buildImage(ref);
    images.push(id);
    return { ref, id };
  }

  it("lists images, an untagged one included with empty tags", async () => {
    const untagged = buildImage();
    images.push(untagged);
    const { ref, id } = tagged("list");

    const all = await agent.listImages({});
    const dangling = all.images.find((i) => i.id === untagged);
    expect(dangling).toBeDefined();
    expect(dangling?.repoTags).toEqual([]);
    expect(dangling?.repoDigests).toEqual([]);
    expect(all.images.find((i) => i.id === id)?.repoTags).toEqual([ref]);
    expect(all.images.every((i) => i.repoTags.every((t) => !t.startsWith("<none>")))).toBe(true);

    const onlyDangling = await agent.listImages({ danglingOnly: true });
    expect(onlyDangling.images.map((i) => i.id)).toContain(untagged);
    expect(onlyDangling.images.map((i) => i.id)).not.toContain(id);

    const byReference = await agent.listImages({ reference: ref });
    expect(byReference.images.map((i) => i.id)).toEqual([id]);
    const byLabel = await agent.listImages({ labels: ["dockhand.imgtest"], reference: ref });
    expect(byLabel.images[0]?.labels["dockhand.imgtest"]).toBeTruthy();
    expect(byLabel.images[0]?.sizeBytes).toBeGreaterThan(0n);
    expect(byLabel.images[0]?.createTime).toBeDefined();
  });

  it("refuses a label filter without a key", async () => {
    const failure = await codeOf(agent.listImages({ labels: ["=x"] }));
    expect(failure.code).toBe(Code.InvalidArgument);
    expect(failure.message).toContain("labels[0]");
  });

  it("gets an image with its configuration, by reference and by id", async () => {
    const { ref, id } = tagged("get");
    const byRef = await agent.getImage({ image: ref });
    expect(byRef.image?.id).toBe(id);
    expect(byRef.image?.repoTags).toEqual([ref]);
    expect(byRef.image?.config?.os).toBe("linux");
    expect(byRef.image?.config?.command).toEqual(["sleep", "3600"]);
    expect(byRef.image?.config?.env).toContain("PATH=/bin");
    expect(byRef.image?.config?.layers.length).toBeGreaterThan(0);
    const byId = await agent.getImage({ image: id });
    expect(byId.image?.repoTags).toEqual([ref]);
  });

  it("answers NOT_FOUND for a missing image and INVALID_ARGUMENT for a bad reference", async () => {
    const missing = await codeOf(agent.getImage({ image: `${uniqueRepository("absent")}:1` }));
    expect(missing.code).toBe(Code.NotFound);
    const empty = await codeOf(agent.getImage({ image: "" }));
    expect(empty.code).toBe(Code.InvalidArgument);
    expect(empty.message).toContain("image");
    const bad = await codeOf(agent.getImage({ image: "Not A/Valid::ref" }));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(bad.message).toContain("image");
  });

  it("tags an image, again harmlessly, and refuses bad or missing sources", async () => {
    const { ref, id } = tagged("tag");
    const target = `${uniqueRepository("tag-target")}:2`;
    images.push(target);
    const first = await agent.tagImage({ source: ref, target });
    expect(first.image?.id).toBe(id);
    expect(first.image?.repoTags).toEqual(expect.arrayContaining([ref, target]));
    const again = await agent.tagImage({ source: id, target });
    expect(again.image?.repoTags).toHaveLength(2);

    expect((await codeOf(agent.tagImage({ source: `${uniqueRepository("absent")}:1`, target }))).code).toBe(Code.NotFound);
    const untaggedTarget = await codeOf(agent.tagImage({ source: ref, target: uniqueRepository("x") }));
    expect(untaggedTarget.code).toBe(Code.InvalidArgument);
    expect(untaggedTarget.message).toContain("target");
    const emptySource = await codeOf(agent.tagImage({ source: "", target }));
    expect(emptySource.code).toBe(Code.InvalidArgument);
    expect(emptySource.message).toContain("source");
  });

  it("deletes a tag, then the image; a missing one is NOT_FOUND unless allow_missing", async () => {
    const { ref, id } = tagged("delete");
    const second = `${uniqueRepository("delete-second")}:1`;
    await agent.tagImage({ source: ref, target: second });

    const untag = await agent.deleteImage({ image: second });
    expect(untag.untagged).toEqual([second]);
    expect(untag.deleted).toEqual([]);

    const gone = await agent.deleteImage({ image: ref });
    expect(gone.untagged).toEqual([ref]);
    expect(gone.deleted).toContain(id);
    expect((await codeOf(agent.getImage({ image: id }))).code).toBe(Code.NotFound);

    expect((await codeOf(agent.deleteImage({ image: ref }))).code).toBe(Code.NotFound);
    expect(await agent.deleteImage({ image: ref, allowMissing: true })).toMatchObject({ untagged: [], deleted: [] });
    const bad = await codeOf(agent.deleteImage({ image: "" }));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(bad.message).toContain("image");
  });

  it("refuses to delete an image a container uses, even with force, and leaves it in place", async () => {
    const { ref, id } = tagged("in-use");
    const container = await engine.containers.create({ image: ref, labels: { "dockhand.test": "agent-images" } });
    containers.push(container);

    for (const force of [false, true]) {
      const refused = await codeOf(agent.deleteImage({ image: ref, force }));
      expect(refused.code).toBe(Code.FailedPrecondition);
      expect(refused.message).toContain(container.slice(0, 12));
    }
    expect((await agent.getImage({ image: ref })).image?.id).toBe(id);

    await engine.containers.remove(container, { force: true, volumes: true });
    expect((await agent.deleteImage({ image: ref })).deleted).toContain(id);
  });

  it("reports the engine's version, host and counts", async () => {
    const { info } = await agent.getInfo({});
    expect(info?.engineVersion).toMatch(/^\d+\.\d+/);
    expect(info?.apiVersion).toMatch(/^1\.\d+$/);
    expect(info?.os).toBe("linux");
    expect(info?.architecture).not.toBe("");
    expect(info?.cpus).toBeGreaterThan(0);
    expect(info?.memoryBytes).toBeGreaterThan(0n);
    expect(info?.images).toBeGreaterThan(0);
    expect(info?.containers).toBe((info?.containersRunning ?? 0) + (info?.containersPaused ?? 0) + (info?.containersStopped ?? 0));
    expect(info?.swarmState).not.toBe(SwarmState.UNSPECIFIED);
  });

  it("keeps the test image untouched", async () => {
    expect((await engine.images.inspect(testImage)).repoTags).toContain(testImage);
  });
});
