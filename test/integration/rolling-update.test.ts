import { describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { UpdateFailureAction, UpdateOrder, UpdateState } from "../../gen/dockhand/v1/service_pb.js";
import { ownershipOf, serviceFilter } from "../../src/model/ownership-labels.js";
import { testImage } from "../support/engine.js";
import { clientFor } from "../support/clients.js";
import { useTestServer } from "../support/server-fixture.js";
import { until } from "../support/until.js";

describe("rolling updates on a real engine", () => {
  const fixture = useTestServer();
  const service = (prefix: string) => fixture.service(prefix);
  const registry = () => clientFor(ServiceRegistry, fixture.server.url);
  const scaler = () => clientFor(Scaler, fixture.server.url);
  const versions = async (name: string) =>
    (await fixture.engine.containers.list({ all: true, labels: [serviceFilter(name)] }))
      .map((c) => [c.name, c.state, ownershipOf(c.labels)?.definitionVersion] as const)
      .sort(([a], [b]) => a.localeCompare(b));

  async function deploy(name: string, updateConfig: Record<string, unknown>) {
    await registry().createService({
      service: {
        name,
        image: testImage,
        command: ["sleep", "3600"],
        init: true,
        environment: { REV: "1" },
        updateConfig,
      },
    });
    await scaler().scale({ name, replicas: 3 });
  }

  it.each([
    ["stop-first", UpdateOrder.STOP_FIRST],
    ["start-first", UpdateOrder.START_FIRST],
  ])("replaces the containers batch by batch (%s) and reports COMPLETED", async (_order, order) => {
    const name = service("roll");
    await deploy(name, { parallelism: 2, order, monitor: { seconds: 0n, nanos: 200_000_000 } });
    const before = (await scaler().getStatus({ name })).status!;
    const updated = await registry().updateService({
      service: {
        name,
        image: testImage,
        command: ["sleep", "3600"],
        init: true,
        environment: { REV: "2" },
        version: 1n,
        updateConfig: { parallelism: 2, order, monitor: { seconds: 0n, nanos: 200_000_000 } },
      },
    });
    expect(updated.service?.version).toBe(2n);
    expect(updated.service?.updateStatus?.state).toBe(UpdateState.UPDATING);
    await until(async () => (await scaler().getStatus({ name })).status?.update?.state === UpdateState.COMPLETED);
    expect(await versions(name)).toEqual([
      [`${name}-1`, "running", 2],
      [`${name}-2`, "running", 2],
      [`${name}-3`, "running", 2],
    ]);
    const after = (await scaler().getStatus({ name })).status!;
    expect(after.running).toBe(3);
    expect(after.containers.map((c) => c.id)).not.toContain(before.containers[0]!.id);
    const env = (await fixture.engine.containers.inspect(after.containers[0]!.id)) as unknown as { command: string[] };
    expect(env.command).toEqual(["sleep", "3600"]);
  });

  it("rolls back by itself when new containers fail within the monitor window", async () => {
    const name = service("rollback");
    const updateConfig = {
      parallelism: 1,
      monitor: { seconds: 1n, nanos: 0 },
      failureAction: UpdateFailureAction.ROLLBACK,
    };
    await deploy(name, updateConfig);
    await registry().updateService({
      service: {
        name,
        image: testImage,
        command: ["sh", "-c", "exit 7"],
        init: true,
        environment: { REV: "2" },
        updateConfig,
      },
    });
    await until(async () => (await scaler().getStatus({ name })).status?.update?.state === UpdateState.ROLLED_BACK);
    const status = (await scaler().getStatus({ name })).status!;
    expect(status.update?.message).toMatch(
      /^rolled back: container .*-1 (exited \(exit code 7\) within the monitor window|failed within the monitor window: exited with code 7 \(exit code 7\))$/,
    );
    const restored = (await registry().getService({ name })).service!;
    expect(restored.command).toEqual(["sleep", "3600"]);
    expect(restored.version).toBe(3n);
    await until(async () => (await versions(name)).every(([, state, version]) => state === "running" && version === 3));
    expect((await scaler().getStatus({ name })).status?.running).toBe(3);
  });

  it("pauses on failure by default, and the Rollback RPC returns to the previous definition", async () => {
    const name = service("pause");
    const updateConfig = { parallelism: 1, monitor: { seconds: 1n, nanos: 0 } };
    await deploy(name, updateConfig);
    await registry().updateService({
      service: { name, image: testImage, command: ["sh", "-c", "exit 7"], init: true, updateConfig },
    });
    await until(async () => (await scaler().getStatus({ name })).status?.update?.state === UpdateState.PAUSED);
    expect((await scaler().getStatus({ name })).status?.update?.message).toMatch(/monitor window/);
    const back = await scaler().rollback({ name });
    expect(back.service?.command).toEqual(["sleep", "3600"]);
    await until(async () => (await scaler().getStatus({ name })).status?.update?.state === UpdateState.ROLLED_BACK);
    await until(async () => (await scaler().getStatus({ name })).status?.running === 3);
    const err = await scaler()
      .rollback({ name: "no-such-service" })
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toMatchObject({ code: Code.NotFound });
  });
});
