import { beforeAll, describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { Container, ContainerView } from "../../gen/dockhand/v1/agent_containers_pb.js";
import { ContainerState } from "../../gen/dockhand/v1/scaler_pb.js";
import { expectCode, useContainerFixture } from "../support/container-fixture.js";

describe("ContainerAgent containers: bad input is INVALID_ARGUMENT naming the field, and changes nothing", () => {
  const fx = useContainerFixture("input");
  let running: Container;

  /** Every container of this file, with state and start time: what a refused call must not change. */
  const snapshot = async () =>
    (await fx.agent.listContainers({ all: true, labelSelector: [fx.selector] })).containers
      // The engine's status text ("Up Less than a second", "Up 2 seconds") moves with time.
      .map((c) => `${c.id} ${c.state}`)
      .sort();
  const startTime = async (id: string) => {
    const time = (await fx.agent.getContainer({ id })).container?.startTime;
    return time ? timestampDate(time).getTime() : 0;
  };

  beforeAll(async () => {
    running = await fx.run({ name: fx.name("running") });
  });

  it("refuses an empty or malformed id on every method that takes one", async () => {
    const before = await snapshot();
    for (const id of ["", "../images/json", "a/b", "x?y=1", " spaced"]) {
      const expected = id === "" ? "id: is required" : "id:";
      await expectCode(fx.agent.getContainer({ id }), Code.InvalidArgument, expected);
      await expectCode(fx.agent.startContainer({ id }), Code.InvalidArgument, expected);
      await expectCode(fx.agent.stopContainer({ id }), Code.InvalidArgument, expected);
      await expectCode(fx.agent.restartContainer({ id }), Code.InvalidArgument, expected);
      await expectCode(fx.agent.rebootContainer({ id }), Code.InvalidArgument, expected);
      await expectCode(fx.agent.killContainer({ id }), Code.InvalidArgument, expected);
      await expectCode(fx.agent.pauseContainer({ id }), Code.InvalidArgument, expected);
      await expectCode(fx.agent.unpauseContainer({ id }), Code.InvalidArgument, expected);
      await expectCode(
        fx.agent.deleteContainer({ id, force: true, allowMissing: true }),
        Code.InvalidArgument,
        expected,
      );
      await expectCode(fx.agent.waitContainer({ id }), Code.InvalidArgument, expected);
      await expectCode(fx.agent.saveContainer({ id, image: "dockhand-test/x:1" }), Code.InvalidArgument, expected);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("refuses a negative grace period or timeout", async () => {
    const before = await snapshot();
    const started = await startTime(running.id);
    const negative = { seconds: -1n };
    await expectCode(
      fx.agent.stopContainer({ id: running.id, gracePeriod: negative }),
      Code.InvalidArgument,
      "grace_period",
      "negative",
    );
    await expectCode(
      fx.agent.restartContainer({ id: running.id, gracePeriod: { nanos: -5 } }),
      Code.InvalidArgument,
      "grace_period",
    );
    await expectCode(
      fx.agent.stopContainer({ id: running.id, gracePeriod: { seconds: 7200n } }),
      Code.InvalidArgument,
      "grace_period",
    );
    await expectCode(
      fx.agent.waitContainer({ id: running.id, timeout: negative }),
      Code.InvalidArgument,
      "timeout",
      "negative",
    );
    await expectCode(fx.create({ stopGracePeriod: negative }), Code.InvalidArgument, "spec.stop_grace_period");
    expect(await snapshot()).toEqual(before);
    expect(await startTime(running.id)).toBe(started);
  });

  it("refuses an unknown signal", async () => {
    const before = await snapshot();
    for (const signal of ["SIGFOO", "KILLME", "0", "65", "-9", "9; rm -rf /"]) {
      await expectCode(fx.agent.killContainer({ id: running.id, signal }), Code.InvalidArgument, "signal", signal);
    }
    expect(await snapshot()).toEqual(before);
    expect((await fx.agent.getContainer({ id: running.id })).container?.state).toBe(ContainerState.RUNNING);
  });

  it("refuses a bad image reference on create and on save", async () => {
    const before = await snapshot();
    for (const image of ["", "Bad Image", "busybox", "busybox:", "busybox@sha256:short", "a//b:1", "UPPER/case:1"]) {
      await expectCode(fx.create({ image }), Code.InvalidArgument, "spec.image");
    }
    for (const image of ["", "no tag here", "dockhand-test/untagged", `dockhand-test/x@sha256:${"a".repeat(64)}`]) {
      await expectCode(fx.agent.saveContainer({ id: running.id, image }), Code.InvalidArgument, "image");
    }
    expect(await snapshot()).toEqual(before);
    expect(await fx.engine.docker.listImages({ filters: { reference: ["dockhand-test/untagged"] } })).toEqual([]);
  });

  it("refuses a bad container spec, naming the field", async () => {
    const before = await snapshot();
    const cases: Array<[Parameters<typeof fx.create>[0], string]> = [
      [{ name: "-dash-first" }, "spec.name"],
      [{ name: "has/slash" }, "spec.name"],
      [{ environment: { "A=B": "x" } }, "spec.environment"],
      [{ labels: { "dockhand.service": "web" } }, 'spec.labels["dockhand.service"]'],
      [{ ports: [{ containerPort: 0 }] }, "spec.ports[0].container_port"],
      [{ ports: [{ containerPort: 80, hostIp: "localhost" }] }, "spec.ports[0].host_ip"],
      [{ resources: { memoryBytes: 1024n } }, "spec.resources.memory_bytes"],
      [
        { mounts: [{ containerPath: "relative", source: { case: "volume", value: "v1" } }] },
        "spec.mounts[0].container_path",
      ],
      [{ mounts: [{ containerPath: "/data" }] }, "spec.mounts[0]"],
      [{ mounts: [{ containerPath: "/data", source: { case: "volume", value: "../up" } }] }, "spec.mounts[0].volume"],
      [{ hostAccess: { addCapabilities: ["CAP_MAKE_COFFEE"] } }, "spec.host_access.add_capabilities[0]"],
      [{ hostAccess: { hostNetwork: true }, ports: [{ containerPort: 80 }] }, "spec.ports"],
    ];
    for (const [spec, field] of cases) await expectCode(fx.create(spec), Code.InvalidArgument, field);
    await expectCode(fx.agent.createContainer({}), Code.InvalidArgument, "spec");
    expect(await snapshot()).toEqual(before);
  });

  it("refuses bad list filters", async () => {
    await expectCode(fx.agent.listContainers({ labelSelector: ["=value"] }), Code.InvalidArgument, "label_selector[0]");
    await expectCode(fx.agent.listContainers({ service: "Not A Service" }), Code.InvalidArgument, "service");
    await expectCode(fx.agent.listContainers({ name: "a/b" }), Code.InvalidArgument, "name");
    await expectCode(fx.agent.listContainers({ view: 9 as ContainerView }), Code.InvalidArgument, "view");
  });
});
