import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { testImage } from "../support/engine.js";
import { clientFor } from "../support/clients.js";
import { startContainerFixture, type ContainerFixture } from "../support/container-fixture.js";
import { buildImage, deleteFromRegistry, registryHost, removeImages, uniqueRepository } from "../support/images.js";
import { bufBin, debianPython, run, type RunResult } from "../support/run.js";
import { uniqueServiceName } from "../support/test-server.js";

type Json = Record<string, unknown>;

/** The JSON lines the example client printed, one per response message. */
function messages(result: RunResult): Json[] {
  return result.stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Json);
}

/** ContainerAgent from Python grpcio, through the example client (schema from a descriptor set). */
describe("Python grpcio: ContainerAgent ListContainers, StopContainer, PullImage", () => {
  let fx: ContainerFixture;
  const work = mkdtempSync(join(tmpdir(), "dockhand-pyagent-"));
  const descriptors = join(work, "dockhand.binpb");
  const localImages: string[] = [];
  const pushed: Array<{ repository: string; digest: string }> = [];
  const services: string[] = [];

  const python = (method: string, request: object) =>
    run(debianPython, [
      "examples/python/dockhand_client.py",
      "--target",
      fx.server.url.replace("http://", ""),
      "--descriptors",
      descriptors,
      `dockhand.v1.ContainerAgent/${method}`,
      JSON.stringify(request),
    ]);

  /** Asserts the client failed with `code` (printed as `CODE: message`) mentioning `text`. */
  const expectFailure = (result: RunResult, code: string, text: string) => {
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^${code}: `));
    expect(result.stderr).toContain(text);
  };

  beforeAll(async () => {
    fx = await startContainerFixture("pyagent");
    expect((await run(bufBin, ["build", "-o", descriptors])).code).toBe(0);
  });
  afterAll(async () => {
    for (const name of services)
      await clientFor(ServiceRegistry, fx.server.url)
        .deleteService({ name, force: true })
        .catch(() => undefined);
    removeImages(localImages);
    for (const p of pushed) await deleteFromRegistry(p.repository, p.digest);
    await fx?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("lists containers by label, running or all, by name and by service", async () => {
    const running = await fx.run({ name: fx.name("run") });
    const stopped = await fx.create({ name: fx.name("idle") });

    const all = await python("ListContainers", { all: true, labelSelector: [fx.selector] });
    expect(all.stderr).toBe("");
    const listed = messages(all)[0]?.containers as Json[];
    expect(listed.map((c) => c.id).sort()).toEqual([running.id, stopped.id].sort());
    expect(listed.find((c) => c.id === running.id)).toMatchObject({
      name: running.name,
      image: testImage,
      state: "CONTAINER_STATE_RUNNING",
    });
    expect(listed.find((c) => c.id === stopped.id)).toMatchObject({ state: "CONTAINER_STATE_CREATED" });

    const runningOnly = messages(await python("ListContainers", { labelSelector: [fx.selector] }))[0]
      ?.containers as Json[];
    expect(runningOnly.map((c) => c.id)).toEqual([running.id]);
    const byName = messages(
      await python("ListContainers", { all: true, name: stopped.name, view: "CONTAINER_VIEW_FULL" }),
    )[0]?.containers as Json[];
    expect(byName).toEqual([expect.objectContaining({ id: stopped.id, init: true, command: ["sleep", "3600"] })]);
    // Nothing matches: proto3 JSON leaves the empty list out.
    expect(messages(await python("ListContainers", { labelSelector: [`${fx.selector}-none`] }))).toEqual([{}]);

    const service = uniqueServiceName("pyagent");
    services.push(service);
    await clientFor(ServiceRegistry, fx.server.url).createService({
      service: { name: service, image: testImage, command: ["sleep", "3600"], init: true },
    });
    await clientFor(Scaler, fx.server.url).scale({ name: service, replicas: 1 });
    const owned = messages(await python("ListContainers", { service }))[0]?.containers as Json[];
    expect(owned).toEqual([expect.objectContaining({ name: `${service}-1`, state: "CONTAINER_STATE_RUNNING" })]);
    expect(owned[0]?.labels).toMatchObject({ "dockhand.service": service });
  });

  it("refuses a bad list request with INVALID_ARGUMENT naming the field", async () => {
    expectFailure(await python("ListContainers", { labelSelector: [""] }), "INVALID_ARGUMENT", "label_selector");
  });

  it("stops a running container, stops it again harmlessly, and answers NOT_FOUND for a missing one", async () => {
    const container = await fx.run({ name: fx.name("stop") });
    const stopped = await python("StopContainer", { id: container.name, gracePeriod: "5s" });
    expect(stopped.stderr).toBe("");
    expect(messages(stopped)[0]?.container).toMatchObject({ id: container.id, state: "CONTAINER_STATE_EXITED" });
    expect((await fx.agent.getContainer({ id: container.id })).container?.finishTime).toBeDefined();

    const again = await python("StopContainer", { id: container.id });
    expect(again.stderr).toBe("");
    expect(messages(again)[0]?.container).toMatchObject({ id: container.id, state: "CONTAINER_STATE_EXITED" });

    expectFailure(await python("StopContainer", { id: fx.name("absent") }), "NOT_FOUND", "absent");
    expectFailure(await python("StopContainer", { id: "" }), "INVALID_ARGUMENT", "id");
    const running = await fx.run({ name: fx.name("negative") });
    expectFailure(
      await python("StopContainer", { id: running.id, gracePeriod: "-1s" }),
      "INVALID_ARGUMENT",
      "grace_period",
    );
    // A refused request changes nothing: the container still runs.
    expect(
      messages(await python("ListContainers", { labelSelector: [fx.selector], name: running.name }))[0]?.containers,
    ).toEqual([expect.objectContaining({ id: running.id, state: "CONTAINER_STATE_RUNNING" })]);
  });

  it("streams a pull from the local registry: progress, then the image id and digest", async () => {
    const repository = uniqueRepository("python-pull", registryHost);
    const ref = `${repository}:1`;
    const id = buildImage(ref);
    localImages.push(ref, id);
    let digest = "";
    for await (const message of fx.agent.pushImage({ image: ref })) {
      if (message.event.case === "result") digest = message.event.value.digest;
    }
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    pushed.push({ repository, digest });
    await fx.agent.deleteImage({ image: ref });

    const pulled = await python("PullImage", { image: ref });
    expect(pulled.stderr).toBe("");
    const stream = messages(pulled);
    const progress = stream.filter((m) => m.progress !== undefined).map((m) => m.progress as Json);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.some((p) => typeof p.status === "string" && p.status !== "")).toBe(true);
    expect(stream.at(-1)).toEqual({ result: { image: ref, imageId: id, digest } });
    expect(stream.filter((m) => m.result !== undefined)).toHaveLength(1);
  });

  it("fails a pull with NOT_FOUND for an unknown tag and INVALID_ARGUMENT for a bad reference", async () => {
    const repository = uniqueRepository("python-absent", registryHost);
    expectFailure(await python("PullImage", { image: `${repository}:404` }), "NOT_FOUND", `${repository}:404`);
    expectFailure(await python("PullImage", { image: "UPPER/case:1" }), "INVALID_ARGUMENT", "image");
  });
});
