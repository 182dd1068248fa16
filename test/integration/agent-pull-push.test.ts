import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import type { PullImageResponse, PushImageResponse } from "../../gen/dockhand/v1/agent_images_pb.js";
import { clientFor, type WireProtocol } from "../support/clients.js";
import { buildImage, deleteFromRegistry, registryHost, removeImages, uniqueRepository } from "../support/images.js";
import { failureOf } from "../support/failure.js";
import { useContainerFixture } from "../support/container-fixture.js";

const run = promisify(execFile);

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const messages: T[] = [];
  for await (const message of stream) messages.push(message);
  return messages;
}

describe("PullImage and PushImage against a real registry", () => {
  const fx = useContainerFixture("pull");
  const local: string[] = [];
  const pushed: Array<{ repository: string; digest: string }> = [];
  afterAll(async () => {
    removeImages(local);
    for (const p of pushed) await deleteFromRegistry(p.repository, p.digest);
  });

  /** Builds an image, pushes it to the registry and removes it locally; returns ref and digest. */
  async function publish(prefix: string): Promise<{ ref: string; repository: string; id: string; digest: string }> {
    const repository = uniqueRepository(prefix, registryHost);
    const ref = `${repository}:1`;
    const id = buildImage(ref);
    local.push(ref, id);
    const messages = await collect<PushImageResponse>(fx.agent.pushImage({ image: ref }));
    const result = messages.at(-1)?.event;
    if (result?.case !== "result") throw new Error("push did not end with a result");
    pushed.push({ repository, digest: result.value.digest });
    await fx.agent.deleteImage({ image: ref });
    return { ref, repository, id, digest: result.value.digest };
  }

  it("pushes a local image with progress, pulls it back after deleting it, same digest and id", async () => {
    const repository = uniqueRepository("roundtrip", registryHost);
    const ref = `${repository}:1`;
    const id = buildImage(ref);
    local.push(ref, id);

    const pushMessages = await collect(fx.agent.pushImage({ image: ref }));
    const progress = pushMessages.filter((m) => m.event.case === "progress");
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.some((m) => m.event.case === "progress" && m.event.value.status === "Pushed")).toBe(true);
    const pushResult = pushMessages.at(-1)?.event;
    expect(pushResult?.case).toBe("result");
    if (pushResult?.case !== "result") return;
    expect(pushResult.value.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(pushResult.value.manifestSizeBytes).toBeGreaterThan(0n);
    pushed.push({ repository, digest: pushResult.value.digest });
    const pushAgain = await collect(fx.agent.pushImage({ image: ref }));
    expect(pushAgain.at(-1)?.event).toMatchObject({ case: "result", value: { digest: pushResult.value.digest } });

    await fx.agent.deleteImage({ image: ref });
    expect(
      (await fx.agent.getImage({ image: ref }).catch((e: unknown) => ConnectError.from(e))) instanceof ConnectError,
    ).toBe(true);

    const pullMessages = await collect<PullImageResponse>(fx.agent.pullImage({ image: ref }));
    expect(pullMessages.filter((m) => m.event.case === "progress").length).toBeGreaterThan(0);
    const pullResult = pullMessages.at(-1)?.event;
    expect(pullResult?.case).toBe("result");
    if (pullResult?.case !== "result") return;
    expect(pullResult.value).toMatchObject({ image: ref, imageId: id, digest: pushResult.value.digest });
    expect((await fx.agent.getImage({ image: ref })).image?.repoDigests).toContain(
      `${repository}@${pushResult.value.digest}`,
    );
  });

  it("pulls by digest, and pulling what is already there just succeeds", async () => {
    const { repository, digest, id } = await publish("bydigest");
    const byDigest = await collect(fx.agent.pullImage({ image: `${repository}@${digest}` }));
    expect(byDigest.at(-1)?.event).toMatchObject({ case: "result", value: { imageId: id, digest } });
    const again = await collect(fx.agent.pullImage({ image: `${repository}:1` }));
    expect(again.at(-1)?.event).toMatchObject({ case: "result", value: { imageId: id, digest } });
  });

  it("answers NOT_FOUND for an unknown tag or repository, never internal", async () => {
    const { repository } = await publish("unknown-tag");
    const tag = await failureOf(fx.agent.pullImage({ image: `${repository}:404` }));
    expect(tag.code).toBe(Code.NotFound);
    expect(tag.rawMessage).toContain(`${repository}:404`);
    const repo = await failureOf(fx.agent.pullImage({ image: `${uniqueRepository("never-pushed", registryHost)}:1` }));
    expect(repo.code).toBe(Code.NotFound);
  });

  it("answers UNAVAILABLE when the registry cannot be reached", async () => {
    const failure = await failureOf(fx.agent.pullImage({ image: "127.0.0.1:5999/dockhand-imgtest/absent:1" }));
    expect(failure.code).toBe(Code.Unavailable);
    expect(failure.rawMessage).toContain("127.0.0.1:5999/dockhand-imgtest/absent:1");
    local.push("127.0.0.1:5999/dockhand-imgtest/unreachable:1");
    buildImage("127.0.0.1:5999/dockhand-imgtest/unreachable:1");
    const push = await failureOf(fx.agent.pushImage({ image: "127.0.0.1:5999/dockhand-imgtest/unreachable:1" }));
    expect(push.code).toBe(Code.Unavailable);
  });

  it("refuses bad references and a push of a missing image", async () => {
    for (const image of ["", "UPPER/case:1", "repo:bad tag"]) {
      const failure = await failureOf(fx.agent.pullImage({ image }));
      expect(failure.code).toBe(Code.InvalidArgument);
      expect(failure.rawMessage).toContain("image");
    }
    const untagged = await failureOf(fx.agent.pushImage({ image: uniqueRepository("untagged", registryHost) }));
    expect(untagged.code).toBe(Code.InvalidArgument);
    expect(untagged.rawMessage).toContain("image");
    const missing = await failureOf(fx.agent.pushImage({ image: `${uniqueRepository("missing", registryHost)}:1` }));
    expect(missing.code).toBe(Code.NotFound);
  });

  it.each<WireProtocol>(["grpcweb", "connect"])("streams a pull over %s with the typed client", async (protocol) => {
    const { ref, id, digest } = await publish(`typed-${protocol}`);
    const messages = await collect<PullImageResponse>(
      clientFor(ContainerAgent, fx.server.url, protocol).pullImage({ image: ref }),
    );
    expect(messages.length).toBeGreaterThan(1);
    expect(messages.at(-1)?.event).toMatchObject({ case: "result", value: { imageId: id, digest } });
  });

  it.each(["grpcweb", "connect", "grpc"])("streams a pull over %s with buf curl", async (protocol) => {
    const { ref, id, digest } = await publish(`curl-${protocol}`);
    const curl = (image: string) => {
      const args = ["buf", "curl", "--schema", "proto", "--protocol", protocol, "--data", JSON.stringify({ image })];
      if (protocol === "grpc") args.push("--http2-prior-knowledge");
      return run("npx", [...args, `${fx.server.url}/dockhand.v1.ContainerAgent/PullImage`]);
    };
    const { stdout } = await curl(ref);
    // buf curl prints each stream message as a pretty-printed JSON object, one after another.
    const messages = JSON.parse(`[${stdout.trim().replace(/\}\n\{/g, "},{")}]`) as Array<Record<string, unknown>>;
    expect(messages.some((m) => m.progress !== undefined)).toBe(true);
    expect(messages.at(-1)?.result).toMatchObject({ image: ref, imageId: id, digest });

    const missing = await curl(`${ref}x`).then(
      () => "",
      (err: { stderr?: string }) => err.stderr ?? "",
    );
    expect(missing).toMatch(/not_found/i);
  });
});
