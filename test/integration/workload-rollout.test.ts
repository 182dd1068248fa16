import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { HealthStatus, Scaler, ScaleWaitFor } from "../../gen/dockhand/v1/scaler_pb.js";
import { UpdateFailureAction, UpdateState } from "../../gen/dockhand/v1/service_pb.js";
import { testImage } from "../support/engine.js";
import { clientFor } from "../support/clients.js";
import { useTestServer } from "../support/server-fixture.js";
import { until } from "../support/until.js";

const ms = (n: number) => ({ seconds: BigInt(Math.floor(n / 1000)), nanos: (n % 1000) * 1_000_000 });
/** Healthy until the test breaks it by creating /broken inside the container. */
const breakable = { shell: "test ! -f /broken", interval: ms(200), timeout: ms(5000), retries: 1 };

describe("health-gated rolling updates", () => {
  const fixture = useTestServer();
  const registry = () => clientFor(ServiceRegistry, fixture.server.url);
  const scaler = () => clientFor(Scaler, fixture.server.url);
  const status = async (name: string) => (await scaler().getStatus({ name })).status!;

  async function deploy(name: string, updateConfig: Record<string, unknown>) {
    await registry().createService({
      service: {
        name,
        image: testImage,
        command: ["sleep", "3600"],
        init: true,
        healthCheck: breakable,
        environment: { REV: "1" },
        updateConfig,
      },
    });
    await scaler().scale({ name, replicas: 2, waitFor: ScaleWaitFor.READY });
  }
  const update = (name: string, updateConfig: Record<string, unknown>) =>
    registry().updateService({
      service: {
        name,
        image: testImage,
        command: ["sleep", "3600"],
        init: true,
        healthCheck: breakable,
        environment: { REV: "2" },
        updateConfig,
      },
    });

  /** Waits until a container of definition version 2 is healthy, then makes its check fail. */
  async function breakNewContainer(name: string): Promise<string> {
    let id = "";
    await until(async () => {
      const found = (await status(name)).containers.find(
        (c) => c.definitionVersion === 2n && c.health === HealthStatus.HEALTHY,
      );
      id = found?.id ?? "";
      return id !== "";
    });
    execFileSync("docker", ["exec", id, "touch", "/broken"]);
    return id;
  }

  it("catches a check that passes at first and fails later, within min_healthy_time, and rolls back", async () => {
    const name = fixture.service("gate-late");
    const updateConfig = {
      parallelism: 1,
      monitor: ms(0),
      minHealthyTime: ms(1_800_000),
      healthyDeadline: ms(3_600_000),
      failureAction: UpdateFailureAction.ROLLBACK,
    };
    await deploy(name, updateConfig);
    await update(name, updateConfig);
    const broken = await breakNewContainer(name);
    await until(async () => (await status(name)).update?.state === UpdateState.ROLLED_BACK);
    const after = await status(name);
    expect(after.update?.message).toMatch(
      /^rolled back: container .*-1 (turned unhealthy|failed) before it was healthy for min_healthy_time/,
    );
    expect((await registry().getService({ name })).service?.environment).toEqual({ REV: "1" });
    await until(async () => {
      const s = await status(name);
      return s.ready === 2 && s.containers.every((c) => c.definitionVersion === 3n && c.id !== broken);
    });
  });

  it("whereas a plain monitor window (Swarm's) marks the same rollout done, and the check fails afterwards", async () => {
    const name = fixture.service("gate-monitor");
    const updateConfig = { parallelism: 2, monitor: ms(200), failureAction: UpdateFailureAction.ROLLBACK };
    await deploy(name, updateConfig);
    await update(name, updateConfig);
    await until(async () => (await status(name)).update?.state === UpdateState.COMPLETED);
    await breakNewContainer(name);
    await until(async () => (await status(name)).failures.some((f) => f.reason === "unhealthy"));
    expect((await status(name)).update?.state).toBe(UpdateState.COMPLETED);
  });

  it("pauses a batch that is not healthy within healthy_deadline", async () => {
    const name = fixture.service("gate-deadline");
    const updateConfig = { parallelism: 1, monitor: ms(0), healthyDeadline: ms(2000) };
    await deploy(name, updateConfig);
    await registry().updateService({
      service: {
        name,
        image: testImage,
        command: ["sleep", "3600"],
        init: true,
        healthCheck: { shell: "false", interval: ms(200), startPeriod: ms(3_600_000) },
        updateConfig,
      },
    });
    await until(async () => (await status(name)).update?.state === UpdateState.PAUSED);
    expect((await status(name)).update?.message).toMatch(/was not healthy for 0s within the healthy_deadline of 2s/);
    expect((await status(name)).starting).toBe(1);
  });

  it.each([
    ["service.update_config.min_healthy_time", { minHealthyTime: ms(3_600_001) }],
    ["service.update_config.healthy_deadline", { healthyDeadline: ms(500) }],
    ["service.update_config.healthy_deadline", { minHealthyTime: ms(60_000), healthyDeadline: ms(30_000) }],
    ["service.update_config.min_healthy_time", { minHealthyTime: { seconds: -5n, nanos: 0 } }],
    ["service.update_config.healthy_deadline", { healthyDeadline: { seconds: 0n, nanos: -5 } }],
  ])("refuses %s out of range with INVALID_ARGUMENT", async (field, updateConfig) => {
    const name = fixture.service("gate-input");
    const err = await registry()
      .createService({ service: { name, image: testImage, command: ["sleep", "3600"], updateConfig } })
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toMatchObject({ code: Code.InvalidArgument });
    expect((err as ConnectError).rawMessage.startsWith(`${field}:`)).toBe(true);
  });
});
