import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { ContainerView } from "../../gen/dockhand/v1/agent_containers_pb.js";
import { ContainerState } from "../../gen/dockhand/v1/scaler_pb.js";
import { Protocol, RestartPolicyMode } from "../../gen/dockhand/v1/service_pb.js";
import { serviceLabel } from "../../src/model/ownership-labels.js";
import { testImage } from "../support/engine.js";
import { expectCode, useContainerFixture } from "../support/container-fixture.js";
import { failureOf } from "../support/failure.js";

describe("ContainerAgent containers: create, get, list, delete, save", () => {
  const fx = useContainerFixture("agent");

  it("creates a container from the full spec, not started, and GetContainer reports all of it", async () => {
    const name = fx.name("full");
    const volume = `${name}-data`;
    fx.trackVolume(volume);
    const created = await fx.create({
      name,
      command: ["sleep", "3600"],
      environment: { GREETING: "hello" },
      ports: [{ containerPort: 80, hostIp: "127.0.0.1" }],
      labels: { tier: "web" },
      resources: { memoryBytes: 64n * 1024n * 1024n, cpuMillis: 500 },
      restartPolicy: { mode: RestartPolicyMode.ON_FAILURE, maxRetries: 2 },
      stopGracePeriod: { seconds: 3n },
      mounts: [{ containerPath: "/data", source: { case: "volume", value: volume }, readOnly: true }],
    });
    expect(created.state).toBe(ContainerState.CREATED);
    expect(created.id).toMatch(/^[0-9a-f]{64}$/);

    const { container } = await fx.agent.getContainer({ id: name });
    expect(container?.id).toBe(created.id);
    expect(container?.name).toBe(name);
    expect(container?.image).toBe(testImage);
    expect(container?.imageId).toMatch(/^sha256:/);
    expect(container?.labels).toMatchObject({ tier: "web", ...fx.labels });
    expect(container?.command).toEqual(["sleep", "3600"]);
    expect(container?.resources?.memoryBytes).toBe(64n * 1024n * 1024n);
    expect(container?.resources?.cpuMillis).toBe(500);
    expect(container?.restartPolicy?.mode).toBe(RestartPolicyMode.ON_FAILURE);
    expect(container?.restartPolicy?.maxRetries).toBe(2);
    expect(container?.init).toBe(true);
    expect(container?.stopGracePeriod?.seconds).toBe(3n);
    expect(container?.mounts).toEqual([
      expect.objectContaining({ containerPath: "/data", source: { case: "volume", value: volume }, readOnly: true }),
    ]);
    expect(container?.hostAccess).toMatchObject({ privileged: false, hostNetwork: false, addCapabilities: [] });
    expect(container?.startTime).toBeUndefined();
    expect(container?.createTime && timestampDate(container.createTime).getTime()).toBeGreaterThan(
      Date.now() - 600_000,
    );

    const started = await fx.agent.startContainer({ id: created.id });
    expect(started.container?.state).toBe(ContainerState.RUNNING);
    expect(started.container?.ports).toEqual([
      expect.objectContaining({ containerPort: 80, protocol: Protocol.TCP, hostIp: "127.0.0.1" }),
    ]);
    expect(started.container?.ports[0]?.hostPort).toBeGreaterThan(0);
  });

  it("lists by running/all, label, exact name and service, from one list call or in full", async () => {
    const running = await fx.run({ name: fx.name("list") });
    // Its name starts with the running one's: the engine's name filter would match both.
    const stopped = await fx.create({ name: `${running.name}0`, labels: { role: "spare" } });
    const service = fx.name("svc");
    const owned = await fx.engine.containers.create({
      image: testImage,
      command: ["sleep", "3600"],
      labels: { ...fx.labels, [serviceLabel]: service },
    });

    const ids = async (req: Parameters<typeof fx.agent.listContainers>[0]) =>
      (await fx.agent.listContainers(req)).containers.map((c) => c.id).sort();

    expect(await ids({ labelSelector: [fx.selector], name: running.name })).toEqual([running.id]);
    expect(await ids({ labelSelector: [fx.selector], all: true, name: running.name })).toEqual([running.id]);
    expect(await ids({ labelSelector: [fx.selector, "role=spare"], all: true })).toEqual([stopped.id]);
    expect(await ids({ labelSelector: [fx.selector, "role=spare"] })).toEqual([]);
    expect(await ids({ labelSelector: ["role"], all: true, name: stopped.name })).toEqual([stopped.id]);
    expect(await ids({ service, all: true })).toEqual([owned]);

    const basic = await fx.agent.listContainers({ labelSelector: [fx.selector], name: running.name });
    expect(basic.containers[0]).toMatchObject({ name: running.name, state: ContainerState.RUNNING, image: testImage });
    expect(basic.containers[0]?.command).toEqual([]);
    const full = await fx.agent.listContainers({
      labelSelector: [fx.selector],
      name: running.name,
      view: ContainerView.FULL,
    });
    expect(full.containers[0]).toMatchObject({ name: running.name, command: ["sleep", "3600"], init: true });
    expect(full.containers[0]?.startTime).toBeDefined();
  });

  it("leaves out a container removed between the list and the inspect of a full listing", async () => {
    const a = await fx.create();
    const gone = await fx.create();
    const b = await fx.create();
    const listed = await fx.engine.containers.list({ all: true, labels: [fx.selector] });
    await fx.agent.deleteContainer({ id: gone.id });
    const described = await fx.engine.containers.describeMany(listed.map((c) => c.id));
    const describedIds = described.map((c) => c.id);
    expect(describedIds).toContain(a.id);
    expect(describedIds).toContain(b.id);
    expect(describedIds).not.toContain(gone.id);
    expect(described).toHaveLength(listed.length - 1);
  });

  it("refuses to delete a running container without force, and deletes it with force", async () => {
    const running = await fx.run();
    await expectCode(fx.agent.deleteContainer({ id: running.id }), Code.FailedPrecondition, running.id);
    expect((await fx.agent.getContainer({ id: running.id })).container?.state).toBe(ContainerState.RUNNING);

    await fx.agent.deleteContainer({ id: running.id, force: true, removeVolumes: true });
    await expectCode(fx.agent.getContainer({ id: running.id }), Code.NotFound);
    await expectCode(fx.agent.deleteContainer({ id: running.id }), Code.NotFound);
    await fx.agent.deleteContainer({ id: running.id, allowMissing: true });
  });

  it("saves a container's file system as a tagged image with message and author", async () => {
    const writer = await fx.run({ command: ["sh", "-c", "echo saved > /saved.txt"] });
    expect((await fx.agent.waitContainer({ id: writer.id })).exitCode).toBe(0);
    const image = `dockhand-test/agent-save:${process.pid}`;
    fx.trackImage(image);

    const saved = await fx.agent.saveContainer({
      id: writer.id,
      image,
      message: "snapshot 1",
      author: "Test <t@example.com>",
    });
    expect(saved.imageId).toMatch(/^sha256:/);
    expect(saved.image).toBe(image);
    expect(saved.sizeBytes).toBeGreaterThan(0n);
    const inspected = await fx.engine.docker.getImage(image).inspect();
    expect(inspected.Id).toBe(saved.imageId);
    expect(inspected.Comment).toBe("snapshot 1");
    expect(inspected.Author).toBe("Test <t@example.com>");

    const reader = await fx.run({ image, command: ["test", "-f", "/saved.txt"] });
    expect((await fx.agent.waitContainer({ id: reader.id })).exitCode).toBe(0);
  });

  it("answers NOT_FOUND for every method on a missing container (delete only without allow_missing)", async () => {
    const id = fx.name("missing");
    const calls: Array<[string, () => Promise<unknown>]> = [
      ["get", () => fx.agent.getContainer({ id })],
      ["start", () => fx.agent.startContainer({ id })],
      ["stop", () => fx.agent.stopContainer({ id })],
      ["stop with grace", () => fx.agent.stopContainer({ id, gracePeriod: { seconds: 1n } })],
      ["restart", () => fx.agent.restartContainer({ id, gracePeriod: { seconds: 1n } })],
      ["reboot", () => fx.agent.rebootContainer({ id })],
      ["kill", () => fx.agent.killContainer({ id })],
      ["pause", () => fx.agent.pauseContainer({ id })],
      ["unpause", () => fx.agent.unpauseContainer({ id })],
      ["delete", () => fx.agent.deleteContainer({ id })],
      ["wait", () => fx.agent.waitContainer({ id })],
      ["save", () => fx.agent.saveContainer({ id, image: "dockhand-test/never:1" })],
    ];
    for (const [what, call] of calls) {
      const err = await failureOf(call());
      expect(Code[err.code], `${what}: ${err.rawMessage}`).toBe("NotFound");
      expect(err.rawMessage, what).toContain(id);
    }
    const none = await fx.agent.listContainers({ all: true, name: id });
    expect(none.containers).toEqual([]);
  });

  it("answers ALREADY_EXISTS for a taken name and keeps the first container", async () => {
    const first = await fx.create({ name: fx.name("taken") });
    await expectCode(fx.create({ name: first.name, command: ["true"] }), Code.AlreadyExists, first.name);
    const same = await fx.agent.listContainers({ all: true, name: first.name });
    expect(same.containers.map((c) => c.id)).toEqual([first.id]);
    expect((await fx.agent.getContainer({ id: first.name })).container?.command).toEqual(["sleep", "3600"]);
  });

  it("answers FAILED_PRECONDITION naming the image when it is not on the engine, and pulls nothing", async () => {
    const name = fx.name("noimage");
    const image = "127.0.0.1:5999/dockhand/absent:1";
    await expectCode(fx.create({ name, image }), Code.FailedPrecondition, image);
    expect((await fx.agent.listContainers({ all: true, name })).containers).toEqual([]);
    await expect(fx.engine.images.inspect(image)).rejects.toMatchObject({ kind: "NotFound" });
  });
});
