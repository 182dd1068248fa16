import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { HealthStatus, Scaler, ScaleWaitFor } from "../../gen/dockhand/v1/scaler_pb.js";
import { UnhealthyAction } from "../../gen/dockhand/v1/service_pb.js";
import { testImage } from "../support/engine.js";
import { clientFor } from "../support/clients.js";
import { useTestServer } from "../support/server-fixture.js";
import { until } from "../support/until.js";

const ms = (n: number) => ({ seconds: BigInt(Math.floor(n / 1000)), nanos: (n % 1000) * 1_000_000 });
/** Turns healthy about a second after it starts. */
const slowStart = {
  command: ["sh", "-c", "sleep 1; touch /ready; exec sleep 3600"],
  healthCheck: { shell: "test -f /ready", interval: ms(200), timeout: ms(2000), retries: 2, startPeriod: ms(60_000) },
};

describe("health checks in the definition", () => {
  const fixture = useTestServer();
  const registry = () => clientFor(ServiceRegistry, fixture.server.url);
  const scaler = () => clientFor(Scaler, fixture.server.url);
  const create = (name: string, extra: Record<string, unknown>) =>
    registry().createService({ service: { name, image: testImage, init: true, ...extra } });

  it("runs the definition's check, and Scale waits for READY when asked", async () => {
    const name = fixture.service("health-ready");
    await create(name, slowStart);
    const stored = (await registry().getService({ name })).service!;
    expect(stored.healthCheck).toMatchObject({ shell: "test -f /ready", retries: 2, none: false });
    const scaled = await scaler().scale({ name, replicas: 2, waitFor: ScaleWaitFor.READY });
    expect(scaled.status).toMatchObject({ desired: 2, running: 2, ready: 2, healthy: 2, starting: 0, unhealthy: 0 });
    expect(scaled.status!.containers.map((c) => c.health)).toEqual([HealthStatus.HEALTHY, HealthStatus.HEALTHY]);
    const engineCheck = execFileSync(
      "docker",
      ["inspect", "--format", "{{json .Config.Healthcheck}}", scaled.status!.containers[0]!.id],
      { encoding: "utf8" },
    );
    expect(JSON.parse(engineCheck)).toEqual({
      Test: ["CMD-SHELL", "test -f /ready"],
      Interval: 200_000_000,
      Timeout: 2_000_000_000,
      StartPeriod: 60_000_000_000,
      Retries: 2,
    });
  });

  it("counts starting containers as running but not ready, and a plain Scale waits for running only", async () => {
    const name = fixture.service("health-starting");
    await create(name, {
      ...slowStart,
      command: ["sh", "-c", "exec sleep 3600"],
      healthCheck: { ...slowStart.healthCheck, startPeriod: ms(3_600_000) },
    });
    const scaled = await scaler().scale({ name, replicas: 1 });
    expect(scaled.status).toMatchObject({ running: 1, ready: 0, healthy: 0, unhealthy: 0 });
    await until(async () => (await scaler().getStatus({ name })).status?.starting === 1);
  });

  it("reports unhealthy containers; a READY wait fails with FAILED_PRECONDITION; IGNORE keeps them", async () => {
    const name = fixture.service("health-bad");
    await create(name, {
      command: ["sleep", "3600"],
      unhealthyAction: UnhealthyAction.IGNORE,
      healthCheck: { command: ["false"], interval: ms(200), retries: 1 },
    });
    const err = await scaler()
      .scale({ name, replicas: 1, waitFor: ScaleWaitFor.READY })
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toMatchObject({ code: Code.FailedPrecondition });
    expect((err as ConnectError).rawMessage).toMatch(/0 of 1 containers ready: .*-1 is unhealthy/);
    const status = (await scaler().getStatus({ name })).status!;
    expect(status).toMatchObject({ running: 1, unhealthy: 1, ready: 0, healthy: 0 });
    expect(status.failures).toEqual([]);
  });

  it("replaces a container whose check fails, with the existing unhealthy action", async () => {
    const name = fixture.service("health-replace");
    await create(name, { command: ["sleep", "3600"], healthCheck: { shell: "exit 3", interval: ms(200), retries: 1 } });
    const first = (await scaler().scale({ name, replicas: 1 })).status!.containers[0]!.id;
    await until(async () =>
      (await scaler().getStatus({ name })).status!.failures.some((f) => f.reason === "unhealthy"),
    );
    await until(async () => (await scaler().getStatus({ name })).status!.containers.some((c) => c.id !== first));
  });

  it("disables the image's check with none: a running container is then ready", async () => {
    const name = fixture.service("health-none");
    await create(name, { command: ["sleep", "3600"], healthCheck: { none: true } });
    const scaled = await scaler().scale({ name, replicas: 1, waitFor: ScaleWaitFor.READY });
    expect(scaled.status).toMatchObject({ running: 1, ready: 1, healthy: 0 });
    expect(scaled.status!.containers[0]!.health).toBe(HealthStatus.UNSPECIFIED);
  });

  it.each([
    ["service.health_check.shell", { command: ["true"], shell: "true" }],
    ["service.health_check.interval", { shell: "true", interval: ms(10) }],
    ["service.health_check.timeout", { shell: "true", timeout: { seconds: 7200n, nanos: 0 } }],
    ["service.health_check.start_period", { shell: "true", startPeriod: { seconds: -1n, nanos: 0 } }],
    ["service.health_check.interval", { shell: "true", interval: { seconds: 0n, nanos: -5 } }],
    ["service.health_check.retries", { shell: "true", retries: 1000 }],
    ["service.health_check.none", { none: true, retries: 2 }],
    ["service.health_check.command[0]", { command: ["a\0b"] }],
    ["service.health_check.shell", { shell: "   " }],
  ])("refuses a bad check naming %s", async (field, healthCheck) => {
    const name = fixture.service("health-input");
    const err = await create(name, { command: ["sleep", "3600"], healthCheck }).catch((e: unknown) =>
      ConnectError.from(e),
    );
    expect(err).toMatchObject({ code: Code.InvalidArgument });
    expect((err as ConnectError).rawMessage.startsWith(`${field}:`)).toBe(true);
  });

  it("refuses an unknown wait_for", async () => {
    const name = fixture.service("health-waitfor");
    await create(name, { command: ["sleep", "3600"] });
    const err = await scaler()
      .scale({ name, replicas: 0, waitFor: 9 as ScaleWaitFor })
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toMatchObject({ code: Code.InvalidArgument });
    expect((err as ConnectError).rawMessage).toMatch(/wait_for/);
  });
});
