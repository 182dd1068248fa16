import { afterAll, describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { SwarmState } from "../../gen/dockhand/v1/agent_images_pb.js";
import { testImage } from "../support/engine.js";
import { buildImage, removeImages, uniqueRepository } from "../support/images.js";
import { failureOf } from "../support/failure.js";
import { useContainerFixture } from "../support/container-fixture.js";

describe("ContainerAgent images against a real engine", () => {
  const fx = useContainerFixture("images");
  const images: string[] = [];
  afterAll(() => removeImages(images));

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

    const all = await fx.agent.listImages({});
    const dangling = all.images.find((i) => i.id === untagged);
    expect(dangling).toBeDefined();
    expect(dangling?.repoTags).toEqual([]);
    expect(dangling?.repoDigests).toEqual([]);
    expect(all.images.find((i) => i.id === id)?.repoTags).toEqual([ref]);
    expect(all.images.every((i) => i.repoTags.every((t) => !t.startsWith("<none>")))).toBe(true);

    const onlyDangling = await fx.agent.listImages({ danglingOnly: true });
    expect(onlyDangling.images.map((i) => i.id)).toContain(untagged);
    expect(onlyDangling.images.map((i) => i.id)).not.toContain(id);

    const byReference = await fx.agent.listImages({ reference: ref });
    expect(byReference.images.map((i) => i.id)).toEqual([id]);
    const byLabel = await fx.agent.listImages({ labels: ["dockhand.imgtest"], reference: ref });
    expect(byLabel.images[0]?.labels["dockhand.imgtest"]).toBeTruthy();
    expect(byLabel.images[0]?.sizeBytes).toBeGreaterThan(0n);
    expect(byLabel.images[0]?.createTime).toBeDefined();
  });

  it("refuses a label filter without a key", async () => {
    const failure = await failureOf(fx.agent.listImages({ labels: ["=x"] }));
    expect(failure.code).toBe(Code.InvalidArgument);
    expect(failure.rawMessage).toContain("labels[0]");
  });

  it("gets an image with its configuration, by reference and by id", async () => {
    const { ref, id } = tagged("get");
    const byRef = await fx.agent.getImage({ image: ref });
    expect(byRef.image?.id).toBe(id);
    expect(byRef.image?.repoTags).toEqual([ref]);
    expect(byRef.image?.config?.os).toBe("linux");
    expect(byRef.image?.config?.command).toEqual(["sleep", "3600"]);
    expect(byRef.image?.config?.env).toContain("PATH=/bin");
    expect(byRef.image?.config?.layers.length).toBeGreaterThan(0);
    const byId = await fx.agent.getImage({ image: id });
    expect(byId.image?.repoTags).toEqual([ref]);
  });

  it("answers NOT_FOUND for a missing image and INVALID_ARGUMENT for a bad reference", async () => {
    const missing = await failureOf(fx.agent.getImage({ image: `${uniqueRepository("absent")}:1` }));
    expect(missing.code).toBe(Code.NotFound);
    const empty = await failureOf(fx.agent.getImage({ image: "" }));
    expect(empty.code).toBe(Code.InvalidArgument);
    expect(empty.rawMessage).toContain("image");
    const bad = await failureOf(fx.agent.getImage({ image: "Not A/Valid::ref" }));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(bad.rawMessage).toContain("image");
  });

  it("tags an image, again harmlessly, and refuses bad or missing sources", async () => {
    const { ref, id } = tagged("tag");
    const target = `${uniqueRepository("tag-target")}:2`;
    images.push(target);
    const first = await fx.agent.tagImage({ source: ref, target });
    expect(first.image?.id).toBe(id);
    expect(first.image?.repoTags).toEqual(expect.arrayContaining([ref, target]));
    const again = await fx.agent.tagImage({ source: id, target });
    expect(again.image?.repoTags).toHaveLength(2);

    expect((await failureOf(fx.agent.tagImage({ source: `${uniqueRepository("absent")}:1`, target }))).code).toBe(
      Code.NotFound,
    );
    const untaggedTarget = await failureOf(fx.agent.tagImage({ source: ref, target: uniqueRepository("x") }));
    expect(untaggedTarget.code).toBe(Code.InvalidArgument);
    expect(untaggedTarget.rawMessage).toContain("target");
    const emptySource = await failureOf(fx.agent.tagImage({ source: "", target }));
    expect(emptySource.code).toBe(Code.InvalidArgument);
    expect(emptySource.rawMessage).toContain("source");
  });

  it("deletes a tag, then the image; a missing one is NOT_FOUND unless allow_missing", async () => {
    const { ref, id } = tagged("delete");
    const second = `${uniqueRepository("delete-second")}:1`;
    await fx.agent.tagImage({ source: ref, target: second });

    const untag = await fx.agent.deleteImage({ image: second });
    expect(untag.untagged).toEqual([second]);
    expect(untag.deleted).toEqual([]);

    const gone = await fx.agent.deleteImage({ image: ref });
    expect(gone.untagged).toEqual([ref]);
    expect(gone.deleted).toContain(id);
    expect((await failureOf(fx.agent.getImage({ image: id }))).code).toBe(Code.NotFound);

    expect((await failureOf(fx.agent.deleteImage({ image: ref }))).code).toBe(Code.NotFound);
    expect(await fx.agent.deleteImage({ image: ref, allowMissing: true })).toMatchObject({ untagged: [], deleted: [] });
    const bad = await failureOf(fx.agent.deleteImage({ image: "" }));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(bad.rawMessage).toContain("image");
  });

  it("refuses to delete an image a container uses, even with force, and leaves it in place", async () => {
    const { ref, id } = tagged("in-use");
    const container = await fx.engine.containers.create({ image: ref, labels: fx.labels });

    for (const force of [false, true]) {
      const refused = await failureOf(fx.agent.deleteImage({ image: ref, force }));
      expect(refused.code).toBe(Code.FailedPrecondition);
      expect(refused.rawMessage).toContain(container.slice(0, 12));
    }
    expect((await fx.agent.getImage({ image: ref })).image?.id).toBe(id);

    await fx.engine.containers.remove(container, { force: true, volumes: true });
    expect((await fx.agent.deleteImage({ image: ref })).deleted).toContain(id);
  });

  it("reports the engine's version, host and counts", async () => {
    const { info } = await fx.agent.getInfo({});
    expect(info?.engineVersion).toMatch(/^\d+\.\d+/);
    expect(info?.apiVersion).toMatch(/^1\.\d+$/);
    expect(info?.os).toBe("linux");
    expect(info?.architecture).not.toBe("");
    expect(info?.cpus).toBeGreaterThan(0);
    expect(info?.memoryBytes).toBeGreaterThan(0n);
    expect(info?.images).toBeGreaterThan(0);
    expect(info?.containers).toBe(
      (info?.containersRunning ?? 0) + (info?.containersPaused ?? 0) + (info?.containersStopped ?? 0),
    );
    expect(info?.swarmState).not.toBe(SwarmState.UNSPECIFIED);
  });

  it("keeps the test image untouched", async () => {
    expect((await fx.engine.images.inspect(testImage)).repoTags).toContain(testImage);
  });
});
