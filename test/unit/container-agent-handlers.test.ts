import { beforeEach, describe, expect, it } from "vitest";
import { Code, createClient, createRouterTransport, type Client } from "@connectrpc/connect";
import { ContainerView } from "../../gen/dockhand/v1/agent_containers_pb.js";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import { ContainerState } from "../../gen/dockhand/v1/scaler_pb.js";
import { createContainerAgentService } from "../../src/rpc/container-agent/container-agent-service.js";
import { errorInterceptor } from "../../src/transport/error-interceptor.js";
import { requestShapeInterceptor } from "../../src/transport/request-shape-interceptor.js";
import { createFakeEngine, type FakeEngine } from "../support/fake-engine.js";
import { failureOf } from "../support/failure.js";

const image = "dockhand-test/busybox:1";

/** ContainerAgent over the fake engine, in memory, with the server's own error mapping. */
function agentOver(engine: FakeEngine, allowPrivileged = false): Client<typeof ContainerAgent> {
  const service = createContainerAgentService({
    engine,
    hostAccess: { allowPrivileged, allowHostNetwork: false, allowHostMounts: false, allowedCapabilities: [] },
    imageLimits: { loadMaxBytes: 1024 * 1024, loadInlineMaxBytes: 64 * 1024, loadTimeoutMs: 1000 },
    audit: { info: () => undefined },
    copyLimits: { copyMaxBytes: 1024 * 1024, copyMaxEntries: 100, maxMessageBytes: 4 * 1024 * 1024 },
  });
  const transport = createRouterTransport((router) => router.service(ContainerAgent, service), {
    router: { interceptors: [errorInterceptor, requestShapeInterceptor] },
  });
  return createClient(ContainerAgent, transport);
}

/** Asserts the call fails with `code` and a message that names each of `mentions`. */
async function expectFailure(
  call: Promise<unknown> | AsyncIterable<unknown>,
  code: Code,
  ...mentions: string[]
): Promise<void> {
  const err = await failureOf(call);
  expect(Code[err.code], err.rawMessage).toBe(Code[code]);
  for (const text of mentions) expect(err.rawMessage).toContain(text);
}

describe("ContainerAgent handlers over the fake engine", () => {
  let engine: FakeEngine;
  let agent: Client<typeof ContainerAgent>;
  beforeEach(() => {
    engine = createFakeEngine();
    engine.addImage(image);
    agent = agentOver(engine);
  });
  const run = async (name: string) => {
    const { container } = await agent.createContainer({
      spec: { name, image, command: ["sleep", "60"], labels: { tier: "web" } },
    });
    return (await agent.startContainer({ id: container!.id })).container!;
  };

  it("creates a container as asked and gets it by id and by name", async () => {
    const { container } = await agent.createContainer({
      spec: { name: "web-a", image, command: ["sleep", "60"], stopGracePeriod: { seconds: 3n }, init: true },
    });
    expect(container).toMatchObject({
      name: "web-a",
      image,
      state: ContainerState.CREATED,
      command: ["sleep", "60"],
      init: true,
    });
    expect((await agent.getContainer({ id: container!.id })).container?.name).toBe("web-a");
    expect((await agent.getContainer({ id: "web-a" })).container?.stopGracePeriod?.seconds).toBe(3n);
  });

  it("refuses a bad spec with INVALID_ARGUMENT naming the field, before the engine sees it", async () => {
    await expectFailure(agent.createContainer({}), Code.InvalidArgument, "spec");
    await expectFailure(agent.createContainer({ spec: { image: "Not An Image" } }), Code.InvalidArgument, "spec.image");
    await expectFailure(agent.createContainer({ spec: { image, name: "a/b" } }), Code.InvalidArgument, "spec.name");
    await expectFailure(
      agent.createContainer({ spec: { image, stopGracePeriod: { nanos: -5 } } }),
      Code.InvalidArgument,
      "spec.stop_grace_period",
    );
    await expectFailure(
      agent.createContainer({ spec: { image, labels: { "dockhand.service": "x" } } }),
      Code.InvalidArgument,
      'spec.labels["dockhand.service"]',
    );
    await expectFailure(
      agent.createContainer({ spec: { image, ports: [{ containerPort: 70000 }] } }),
      Code.InvalidArgument,
      "spec.ports[0].container_port",
    );
    expect(engine.allContainers.size).toBe(0);
  });

  it("answers a missing image with FAILED_PRECONDITION, a taken name with ALREADY_EXISTS, host power with PERMISSION_DENIED", async () => {
    await expectFailure(
      agent.createContainer({ spec: { image: "absent/image:1" } }),
      Code.FailedPrecondition,
      "spec.image",
      "pull it first",
    );
    await agent.createContainer({ spec: { name: "taken", image } });
    await expectFailure(agent.createContainer({ spec: { name: "taken", image } }), Code.AlreadyExists, "taken");
    await expectFailure(
      agent.createContainer({ spec: { image, hostAccess: { privileged: true } } }),
      Code.PermissionDenied,
      "spec.host_access.privileged",
    );
    const allowing = agentOver(engine, true);
    expect(
      (await allowing.createContainer({ spec: { image, hostAccess: { privileged: true } } })).container?.hostAccess
        ?.privileged,
    ).toBe(true);
  });

  it("answers NOT_FOUND for a missing container and INVALID_ARGUMENT for a reference that is not one", async () => {
    await expectFailure(agent.getContainer({ id: "nothing-here" }), Code.NotFound, "nothing-here");
    await expectFailure(agent.startContainer({ id: "nothing-here" }), Code.NotFound);
    await expectFailure(agent.getContainer({ id: "" }), Code.InvalidArgument, "id");
    await expectFailure(agent.stopContainer({ id: "../etc" }), Code.InvalidArgument, "id");
    await expectFailure(agent.deleteContainer({ id: "nothing-here" }), Code.NotFound);
    await agent.deleteContainer({ id: "nothing-here", allowMissing: true });
  });

  it("lists by label, exact name and view, and refuses a bad selector naming its entry", async () => {
    await run("web-1");
    await agent.createContainer({ spec: { name: "web-10", image, labels: { tier: "db" } } });
    expect((await agent.listContainers({})).containers.map((c) => c.name)).toEqual(["web-1"]);
    expect(
      (await agent.listContainers({ all: true, labelSelector: ["tier=db"] })).containers.map((c) => c.name),
    ).toEqual(["web-10"]);
    expect((await agent.listContainers({ all: true, name: "web-1" })).containers.map((c) => c.name)).toEqual(["web-1"]);
    const [full] = (await agent.listContainers({ name: "web-1", view: ContainerView.FULL })).containers;
    expect(full?.command).toEqual(["sleep", "60"]);
    await expectFailure(agent.listContainers({ labelSelector: ["=x"] }), Code.InvalidArgument, "label_selector[0]");
    await expectFailure(agent.listContainers({ service: "Not A Service" }), Code.InvalidArgument, "service");
    await expectFailure(agent.listContainers({ view: 9 as ContainerView }), Code.InvalidArgument, "view");
  });

  it("moves a container between states, each verb idempotent where the CRI asks it", async () => {
    const running = await run("life");
    expect(running.state).toBe(ContainerState.RUNNING);
    expect((await agent.startContainer({ id: running.id })).container?.state).toBe(ContainerState.RUNNING);
    expect((await agent.pauseContainer({ id: running.id })).container?.state).toBe(ContainerState.PAUSED);
    expect((await agent.pauseContainer({ id: running.id })).container?.state).toBe(ContainerState.PAUSED);
    expect((await agent.unpauseContainer({ id: running.id })).container?.state).toBe(ContainerState.RUNNING);
    expect((await agent.restartContainer({ id: running.id })).container?.restartCount).toBe(1);
    expect((await agent.stopContainer({ id: running.id, gracePeriod: { seconds: 1n } })).container?.state).toBe(
      ContainerState.EXITED,
    );
    expect((await agent.stopContainer({ id: running.id })).container?.state).toBe(ContainerState.EXITED);
    expect((await agent.rebootContainer({ id: running.id })).container?.state).toBe(ContainerState.RUNNING);
    expect((await agent.killContainer({ id: running.id, signal: "TERM" })).container?.state).toBe(
      ContainerState.EXITED,
    );
  });

  it("refuses what a container's state does not allow with FAILED_PRECONDITION, and bad arguments by field", async () => {
    const { container } = await agent.createContainer({ spec: { name: "idle", image } });
    await expectFailure(agent.pauseContainer({ id: container!.id }), Code.FailedPrecondition, "created");
    await expectFailure(agent.unpauseContainer({ id: container!.id }), Code.FailedPrecondition, "created");
    await expectFailure(agent.killContainer({ id: container!.id }), Code.FailedPrecondition);
    const running = await run("busy");
    await expectFailure(agent.killContainer({ id: running.id, signal: "SIGNOPE" }), Code.InvalidArgument, "signal");
    await expectFailure(
      agent.stopContainer({ id: running.id, gracePeriod: { seconds: 7200n } }),
      Code.InvalidArgument,
      "grace_period",
    );
    await expectFailure(
      agent.restartContainer({ id: running.id, gracePeriod: { nanos: -5 } }),
      Code.InvalidArgument,
      "grace_period",
    );
    await expectFailure(agent.deleteContainer({ id: running.id }), Code.FailedPrecondition);
    await agent.deleteContainer({ id: running.id, force: true });
    expect(engine.allContainers.has(running.id)).toBe(false);
  });

  it("waits for a container to exit, and gives up with DEADLINE_EXCEEDED at the asked timeout", async () => {
    const running = await run("waited");
    await expectFailure(
      agent.waitContainer({ id: running.id, timeout: { nanos: 1_000_000 } }),
      Code.DeadlineExceeded,
      "still running",
    );
    await expectFailure(
      agent.waitContainer({ id: running.id, timeout: { seconds: -1n } }),
      Code.InvalidArgument,
      "timeout",
    );
    const waiting = agent.waitContainer({ id: running.id });
    engine.exitContainer(running.id, 3);
    expect((await waiting).exitCode).toBe(3);
  });

  it("saves a container as repository:tag only", async () => {
    const running = await run("saved");
    const saved = await agent.saveContainer({ id: running.id, image: "dockhand-test/saved:1" });
    expect(saved.image).toBe("dockhand-test/saved:1");
    expect((await agent.getImage({ image: "dockhand-test/saved:1" })).image?.id).toBe(saved.imageId);
    await expectFailure(
      agent.saveContainer({ id: running.id, image: "dockhand-test/saved" }),
      Code.InvalidArgument,
      "image",
    );
  });

  it("streams a container's logs, runs a command in it, and measures it; a stopped one is FAILED_PRECONDITION", async () => {
    const running = await run("streams");
    engine.writeOutput(running.id, "stdout", "one", "two");
    engine.writeOutput(running.id, "stderr", "oops");
    const runs = [];
    for await (const message of agent.streamLogs({ id: running.id, tail: 2 })) runs.push(...message.runs);
    expect(runs.map((r) => r.lines)).toEqual([["two"], ["oops"]]);
    const items = [];
    for await (const message of agent.exec({ id: running.id, command: ["echo", "hi"] })) items.push(message.item.case);
    expect(items).toEqual(["output", "result"]);
    expect((await agent.getStats({ id: running.id })).stats?.pids).toBe(1n);
    await expectFailure(agent.exec({ id: running.id, command: [] }), Code.InvalidArgument, "command");
    await expectFailure(agent.streamLogs({ id: running.id, tail: -1 }), Code.InvalidArgument, "tail");
    await agent.stopContainer({ id: running.id });
    await expectFailure(agent.exec({ id: running.id, command: ["true"] }), Code.FailedPrecondition);
    await expectFailure(agent.getStats({ id: running.id }), Code.FailedPrecondition);
  });

  it("pulls with progress then the result, and answers an unknown image with NOT_FOUND", async () => {
    engine.addRegistryImage("dockhand-test/remote:1");
    const events = [];
    for await (const message of agent.pullImage({ image: "dockhand-test/remote:1" })) events.push(message.event.case);
    expect(events).toEqual(["progress", "result"]);
    expect(engine.pulls).toEqual(["dockhand-test/remote:1"]);
    await expectFailure(agent.pullImage({ image: "dockhand-test/nowhere:1" }), Code.NotFound);
    await expectFailure(agent.pullImage({ image: "" }), Code.InvalidArgument, "image");
  });

  it("lists, tags and deletes images; one a container uses stays, with FAILED_PRECONDITION", async () => {
    await agent.tagImage({ source: image, target: "dockhand-test/other:2" });
    expect((await agent.listImages({})).images.flatMap((i) => i.repoTags).sort()).toEqual([
      "dockhand-test/busybox:1",
      "dockhand-test/other:2",
    ]);
    await expectFailure(
      agent.tagImage({ source: image, target: "dockhand-test/other" }),
      Code.InvalidArgument,
      "target",
    );
    await expectFailure(agent.getImage({ image: "dockhand-test/absent:1" }), Code.NotFound);
    expect((await agent.deleteImage({ image: "dockhand-test/other:2" })).untagged).toEqual(["dockhand-test/other:2"]);
    await agent.createContainer({ spec: { image } });
    await expectFailure(agent.deleteImage({ image, force: true }), Code.FailedPrecondition, "uses the image");
    expect((await agent.deleteImage({ image: "dockhand-test/absent:1", allowMissing: true })).deleted).toEqual([]);
  });

  it("creates and deletes volumes and networks idempotently, refusing bad names by field", async () => {
    expect((await agent.createVolume({ name: "data" })).created).toBe(true);
    expect((await agent.createVolume({ name: "data" })).created).toBe(false);
    expect((await agent.deleteVolume({ name: "data" })).deleted).toBe(true);
    expect((await agent.deleteVolume({ name: "data" })).deleted).toBe(false);
    expect((await agent.createNetwork({ name: "backend" })).created).toBe(true);
    expect((await agent.createNetwork({ name: "backend" })).created).toBe(false);
    await expectFailure(agent.createNetwork({ name: "host" }), Code.InvalidArgument, "name");
    await expectFailure(agent.createVolume({ name: "/etc" }), Code.InvalidArgument, "name");
    await expectFailure(agent.getNetwork({ network: "absent" }), Code.NotFound);
  });

  it("answers GetInfo, and UNAVAILABLE for every call while the engine is away", async () => {
    await run("counted");
    expect((await agent.getInfo({})).info).toMatchObject({ containers: 1, containersRunning: 1 });
    engine.setReachable(false);
    await expectFailure(agent.getInfo({}), Code.Unavailable);
    await expectFailure(agent.listContainers({}), Code.Unavailable);
  });
});
