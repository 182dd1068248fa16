import { describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { UpdateState } from "../../gen/dockhand/v1/service_pb.js";
import { ownershipOf, serviceFilter } from "../../src/model/ownership-labels.js";
import { testImage } from "../support/engine.js";
import { clientFor } from "../support/clients.js";
import { useTestServer } from "../support/server-fixture.js";
import { until } from "../support/until.js";

/** Canaries and blue/green on the real engine: placed beside the old containers, then promoted or reverted. */
describe("canary deployments", () => {
  const fixture = useTestServer();
  const registry = () => clientFor(ServiceRegistry, fixture.server.url);
  const scaler = () => clientFor(Scaler, fixture.server.url);
  const status = async (name: string) => (await scaler().getStatus({ name })).status!;
  /** Running containers as [name, definition version, id], by name. */
  const running = async (name: string) =>
    (await fixture.engine.containers.list({ all: false, labels: [serviceFilter(name)] }))
      .map((c) => [c.name, ownershipOf(c.labels)?.definitionVersion, c.id] as const)
      .sort(([a], [b]) => a.localeCompare(b));
  const gate = { minHealthyTime: { seconds: 0n, nanos: 300_000_000 }, monitor: { seconds: 0n, nanos: 200_000_000 } };

  async function deploy(prefix: string, replicas: number): Promise<string> {
    const name = fixture.service(prefix);
    await registry().createService({
      service: { name, image: testImage, command: ["sleep", "3600"], init: true, updateConfig: gate },
    });
    await scaler().scale({ name, replicas });
    return name;
  }

  const update = (name: string, command: string[], updateConfig: Record<string, unknown>) =>
    registry().updateService({ service: { name, image: testImage, command, init: true, updateConfig } });

  it("places a canary beside the old containers, waits for Promote, then replaces the rest", async () => {
    const name = await deploy("canary", 3);
    const before = await running(name);
    await update(name, ["sleep", "3601"], { ...gate, canary: 1 });
    await until(async () => (await status(name)).update?.message === "canaries ready: waiting for Scaler.Promote");
    const waiting = (await status(name)).update!;
    expect(waiting.state).toBe(UpdateState.CANARY);
    expect([waiting.oldRunning, waiting.newRunning, waiting.newReady, waiting.canaries]).toEqual([3, 1, 1, 1]);
    const canary = (await running(name)).find(([n]) => n === `${name}-1-canary`);
    expect(canary?.[1]).toBe(2);
    // The old version keeps its count and its containers while the canary is watched.
    expect((await running(name)).filter(([n]) => !n.endsWith("-canary"))).toEqual(before);

    // A Scale meanwhile scales the old version's count.
    await scaler().scale({ name, replicas: 4 });
    expect((await running(name)).find(([n]) => n === `${name}-4`)?.[1]).toBe(1);

    const promoted = await scaler().promote({ name });
    expect(promoted.service?.updateStatus?.state).toBe(UpdateState.UPDATING);
    await until(async () => (await status(name)).update?.state === UpdateState.COMPLETED);
    const after = await running(name);
    expect(after.map(([n, v]) => [n, v])).toEqual([1, 2, 3, 4].map((slot) => [`${name}-${slot}`, 2]));
    // The canary took its slot's place: the same container, renamed.
    expect(after[0]?.[2]).toBe(canary?.[2]);
    expect((await status(name)).update?.canaries).toBe(0);

    const err = await scaler()
      .promote({ name })
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toMatchObject({ code: Code.FailedPrecondition });
    expect((err as ConnectError).rawMessage).toMatch(/no update waiting for promotion/);
  });

  it("promotes by itself once every canary passed the health gate (auto_promote)", async () => {
    const name = await deploy("canary-auto", 2);
    await update(name, ["sleep", "3601"], { ...gate, canary: 1, autoPromote: true });
    await until(async () => (await status(name)).update?.state === UpdateState.COMPLETED);
    expect((await status(name)).update?.message).toBe("");
    expect((await running(name)).map(([n, v]) => [n, v])).toEqual([
      [`${name}-1`, 2],
      [`${name}-2`, 2],
    ]);
  });

  it("removes a failing canary and keeps the old containers untouched (auto_revert)", async () => {
    const name = await deploy("canary-revert", 2);
    const before = await running(name);
    const slowGate = { ...gate, minHealthyTime: { seconds: 3n, nanos: 0 } };
    await update(name, ["sh", "-c", "sleep 1; exit 3"], { ...slowGate, canary: 1, autoRevert: true });
    await until(async () => (await status(name)).update?.state === UpdateState.ROLLED_BACK);
    const reverted = await status(name);
    expect(reverted.update?.message).toMatch(/^rolled back: canary failed: .*(exit code 3|exited with code 3)/);
    // The very same old containers, and no canary.
    expect(await running(name)).toEqual(before);
    expect((await registry().getService({ name })).service?.command).toEqual(["sleep", "3600"]);
    expect([reverted.update?.newRunning, reverted.update?.canaries]).toEqual([2, 0]);
  });

  it("pauses with the failing canary in place without auto_revert, and Rollback then removes it", async () => {
    const name = await deploy("canary-pause", 2);
    const before = await running(name);
    await update(name, ["sh", "-c", "exit 3"], { ...gate, canary: 1 });
    await until(async () => (await status(name)).update?.state === UpdateState.PAUSED);
    expect((await status(name)).update?.message).toMatch(/^canary failed: /);
    await scaler().rollback({ name });
    await until(async () => (await status(name)).update?.state === UpdateState.ROLLED_BACK);
    expect(await running(name)).toEqual(before);
    const all = await fixture.engine.containers.list({ all: true, labels: [serviceFilter(name)] });
    expect(all.some((c) => c.name.endsWith("-canary"))).toBe(false);
  });

  it("runs blue/green: every new container beside every old one until promotion", async () => {
    const name = await deploy("bluegreen", 2);
    await update(name, ["sleep", "3601"], { ...gate, canary: 2 });
    await until(async () => (await status(name)).update?.message === "canaries ready: waiting for Scaler.Promote");
    expect((await running(name)).map(([n, v]) => [n, v])).toEqual([
      [`${name}-1`, 1],
      [`${name}-1-canary`, 2],
      [`${name}-2`, 1],
      [`${name}-2-canary`, 2],
    ]);
    const greens = (await running(name)).filter(([n]) => n.endsWith("-canary")).map(([, , id]) => id);
    await scaler().promote({ name });
    await until(async () => (await status(name)).update?.state === UpdateState.COMPLETED);
    const after = await running(name);
    expect(after.map(([n, v]) => [n, v])).toEqual([
      [`${name}-1`, 2],
      [`${name}-2`, 2],
    ]);
    expect(after.map(([, , id]) => id)).toEqual(greens);
  });

  it("refuses a canary count out of range and auto_promote without canaries, naming the field", async () => {
    const name = await deploy("canary-bad", 1);
    for (const [config, field] of [
      [{ canary: 101 }, "canary"],
      [{ autoPromote: true }, "auto_promote"],
      [{ autoRevert: true }, "auto_revert"],
    ] as const) {
      const err = await update(name, ["sleep", "3601"], config).catch((e: unknown) => ConnectError.from(e));
      expect(err).toMatchObject({ code: Code.InvalidArgument });
      expect((err as ConnectError).rawMessage).toContain(`service.update_config.${field}`);
    }
    expect((await registry().getService({ name })).service?.version).toBe(1n);
  });
});
