import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { ownershipLabels, serviceFilter } from "../../src/model/ownership-labels.js";
import { testImage } from "../support/engine.js";
import { clientFor } from "../support/clients.js";
import { useTestServer } from "../support/server-fixture.js";
import { removeServiceContainers } from "../support/test-server.js";
import { until } from "../support/until.js";

const healthImage = "dockhand-test/healthcheck:1";

function buildHealthImage(): void {
  const context = mkdtempSync(join(tmpdir(), "dockhand-health-image-"));
  try {
    writeFileSync(
      join(context, "Dockerfile"),
      `FROM ${testImage}\nHEALTHCHECK --interval=1s --timeout=1s --retries=1 CMD test -f /healthy\n` +
        `CMD ["sh", "-c", "touch /healthy; exec sleep 3600"]\n`,
    );
    execFileSync("docker", ["build", "-q", "-t", healthImage, context], { stdio: "ignore" });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** The reconciler on a real engine: containers that die, vanish or turn unhealthy come back. */
describe("self-healing on a real engine", () => {
  const fixture = useTestServer({ orphanGraceMs: 500, resyncIntervalMs: 1000 });
  const service = (prefix: string) => fixture.service(prefix);
  const create = (name: string, extra?: Record<string, unknown>) => fixture.createService(name, extra);
  const running = async (name: string) => fixture.engine.containers.list({ all: false, labels: [serviceFilter(name)] });

  beforeAll(() => buildHealthImage());
  afterAll(async () => {
    await removeServiceContainers(fixture.engine, ["orphaned-by-test"]);
  });

  it("replaces a killed container and one removed outside dockhand, in their slots", async () => {
    const name = service("heal");
    await create(name);
    const scaler = clientFor(Scaler, fixture.server.url);
    await scaler.scale({ name, replicas: 3 });
    const [first, second] = await running(name);
    execFileSync("docker", ["kill", first!.id], { stdio: "ignore" });
    execFileSync("docker", ["rm", "-f", second!.id], { stdio: "ignore" });
    await until(async () => {
      const now = await running(name);
      return now.length === 3 && !now.some((c) => c.id === first!.id || c.id === second!.id);
    });
    // Status follows the engine: the new container shows once the pass that made it has read it.
    await until(async () => (await scaler.getStatus({ name })).status?.running === 3);
    const status = (await scaler.getStatus({ name })).status!;
    expect(status.containers.map((c) => c.name)).toEqual([`${name}-1`, `${name}-2`, `${name}-3`]);
    expect(status.running).toBe(3);
  });

  it("replaces a container whose healthcheck turns unhealthy", async () => {
    const name = service("unhealthy");
    await create(name, { image: healthImage, command: [] });
    const scaler = clientFor(Scaler, fixture.server.url);
    await scaler.scale({ name, replicas: 1 });
    const [sick] = await running(name);
    await until(async () => (await fixture.engine.containers.inspect(sick!.id)).health === "healthy");
    execFileSync("docker", ["exec", sick!.id, "rm", "/healthy"]);
    await until(async () => {
      const now = await running(name);
      return now.length === 1 && now[0]!.id !== sick!.id;
    });
    expect((await scaler.getStatus({ name })).status?.failures[0]?.reason).toBe("unhealthy");
  });

  it("backs off an image that exits at once and reports it as crash-looping", async () => {
    const name = service("crashloop");
    await create(name, { command: ["sh", "-c", "echo starting; sleep 0.2; echo config missing >&2; exit 3"] });
    const scaler = clientFor(Scaler, fixture.server.url);
    await scaler.scale({ name, replicas: 1, wait: false });
    await until(async () => (await scaler.getStatus({ name })).status?.crashLooping === true);
    const failure = (await scaler.getStatus({ name })).status!.failures[0]!;
    expect(failure.exitCode).toBe(3);
    expect(failure.consecutiveFailures).toBeGreaterThanOrEqual(2);
    expect(failure.reason).toBe("config missing");
    // The delay grows: attempts are spaced out, not a spin.
    const creates = (await fixture.engine.containers.list({ all: true, labels: [serviceFilter(name)] })).length;
    expect(creates).toBeLessThanOrEqual(1);
    await scaler.scale({ name, replicas: 0 }).catch(() => undefined);
  });

  it("reports an orphan and removes it after the grace period; foreign containers stay", async () => {
    const orphan = await fixture.engine.containers.create({
      name: `orphaned-by-test-${process.pid}`,
      image: testImage,
      command: ["sleep", "3600"],
      init: true,
      labels: ownershipLabels({
        instance: fixture.server.instance,
        service: "orphaned-by-test",
        slot: 1,
        definitionVersion: 1,
      }),
    });
    await fixture.engine.containers.start(orphan);
    const foreign = await fixture.engine.containers.create({
      name: `foreign-${process.pid}`,
      image: testImage,
      command: ["sleep", "3600"],
      init: true,
      labels: { "dockhand.test": "foreign" },
    });
    await fixture.engine.containers.start(foreign);
    try {
      const scaler = clientFor(Scaler, fixture.server.url);
      await until(async () => (await scaler.listOrphans({})).orphans.some((o) => o.container?.id === orphan));
      await until(
        async () =>
          !(await fixture.engine.containers.list({ all: true, labels: [serviceFilter("orphaned-by-test")] })).length,
      );
      expect((await fixture.engine.containers.inspect(foreign)).state).toBe("running");
    } finally {
      await fixture.engine.containers.remove(foreign, { force: true, volumes: true });
    }
  });
});
