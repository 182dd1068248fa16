import { afterAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { ScaleProgressSchema, Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { serviceFilter } from "../../src/model/ownership-labels.js";
import { testImage } from "../support/engine.js";
import { clientFor } from "../support/clients.js";
import { useTestServer } from "../support/server-fixture.js";
import { until } from "../support/until.js";

describe("Scaler ownership, deletion and failures on a real engine", () => {
  const fixture = useTestServer();
  const foreignIds: string[] = [];
  const service = (prefix: string) => fixture.service(prefix);
  const createService = (name: string, extra?: Record<string, unknown>) => fixture.createService(name, extra);
  const registry = () => clientFor(ServiceRegistry, fixture.server.url);
  const scaler = () => clientFor(Scaler, fixture.server.url);
  const owned = async (name: string) => fixture.engine.containers.list({ all: true, labels: [serviceFilter(name)] });

  afterAll(async () => {
    await Promise.all(
      foreignIds.map((id) =>
        fixture.engine.containers.remove(id, { force: true, volumes: true }).catch(() => undefined),
      ),
    );
  });

  it("counts only its own containers: same image, other services and foreign containers do not collide", async () => {
    const a = service("own-a");
    const b = service("own-b");
    await createService(a);
    await createService(b);
    const foreign = await fixture.engine.containers.create({
      name: `${a}-foreign`,
      image: testImage,
      command: ["sleep", "3600"],
      init: true,
      labels: { "dockhand.test": "foreign" },
    });
    foreignIds.push(foreign);
    await fixture.engine.containers.start(foreign);

    await scaler().scale({ name: a, replicas: 2 });
    await scaler().scale({ name: b, replicas: 1 });
    expect((await scaler().getStatus({ name: a })).status?.running).toBe(2);
    expect((await scaler().getStatus({ name: b })).status?.running).toBe(1);
    await scaler().scale({ name: a, replicas: 0 });
    expect(await owned(a)).toHaveLength(0);
    expect(await owned(b)).toHaveLength(1);
    expect((await fixture.engine.containers.inspect(foreign)).state).toBe("running");
  });

  it("scale-down removes containers that are not running first, then the newest", async () => {
    const name = service("down");
    await createService(name);
    await scaler().scale({ name, replicas: 3 });
    const second = (await owned(name)).find((c) => c.name === `${name}-2`)!;
    await fixture.engine.containers.stop(second.id, 0);
    const status = await scaler().scale({ name, replicas: 1 });
    expect(status.status?.containers.map((c) => c.name)).toEqual([`${name}-1`]);
    expect((await owned(name)).map((c) => c.name)).toEqual([`${name}-1`]);
  });

  it("deletes a service: refused while it runs, then with force scaled to 0 and removed", async () => {
    const name = service("delete");
    await createService(name);
    await scaler().scale({ name, replicas: 2 });
    const refused = await registry()
      .deleteService({ name })
      .catch((e: unknown) => ConnectError.from(e));
    expect(refused).toMatchObject({ code: Code.FailedPrecondition });
    expect(await owned(name)).toHaveLength(2);
    expect(await registry().deleteService({ name, force: true })).toMatchObject({ removedContainers: 2 });
    expect(await owned(name)).toHaveLength(0);
    const gone = await registry()
      .getService({ name })
      .catch((e: unknown) => ConnectError.from(e));
    expect(gone).toMatchObject({ code: Code.NotFound });
  });

  it("reports what was reached when a start fails, and leaves no container behind", async () => {
    const blocker = service("blocker");
    await createService(blocker, { ports: [{ containerPort: 80, hostIp: "127.0.0.1" }] });
    const blocked = (await scaler().scale({ name: blocker, replicas: 1 })).status!.containers[0]!.ports[0]!.hostPort;
    const name = service("conflict");
    await createService(name, { ports: [{ containerPort: 80, hostIp: "127.0.0.1", hostPort: blocked }] });
    const since = BigInt(Date.now() - 1000) * 1_000_000n;
    const err = await scaler()
      .scale({ name, replicas: 1 })
      .catch((e: unknown) => ConnectError.from(e));
    const returned = new Date();
    expect(err).toMatchObject({ code: Code.FailedPrecondition });
    expect((err as ConnectError).rawMessage).toMatch(/stopped with 0 running: .*could not start/);
    expect((err as ConnectError).findDetails(ScaleProgressSchema)).toEqual([
      expect.objectContaining({ name, desired: 1, running: 0 }),
    ]);
    // The count stays stored, so the reconciler goes on retrying (with back-off) and a retry's
    // container can exist for a moment: the engine's event log tells the Scale's own apart.
    const logged = async () =>
      fixture.engine.events.logged({
        since,
        until: new Date(),
        filters: { types: ["container"], labels: [serviceFilter(name)], actions: ["create", "destroy"] },
      });
    const events = await logged();
    const first = events.find((e) => e.action === "create");
    // The Scale removed the container it could not start before it answered.
    expect(first).toBeDefined();
    expect(events.some((e) => e.action === "destroy" && e.id === first!.id && e.time <= returned)).toBe(true);
    // No failed attempt piles up: each one made by then is removed too.
    const createdBefore = events.filter((e) => e.action === "create" && e.time <= returned).map((e) => e.id);
    await until(async () => {
      const destroyed = new Set((await logged()).filter((e) => e.action === "destroy").map((e) => e.id));
      return createdBefore.every((id) => destroyed.has(id));
    }, 10_000);
    expect((await owned(name)).filter((c) => c.state === "running")).toHaveLength(0);
  });

  it("honours the deadline with DEADLINE_EXCEEDED and keeps converging in the background", async () => {
    const name = service("deadline");
    await createService(name);
    const err = await scaler()
      .scale({ name, replicas: 4 }, { timeoutMs: 30 })
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toMatchObject({ code: Code.DeadlineExceeded });
    for (let i = 0; i < 100 && (await scaler().getStatus({ name })).status?.running !== 4; i++)
      await new Promise((r) => setTimeout(r, 200));
    expect((await scaler().getStatus({ name })).status).toMatchObject({ desired: 4, running: 4 });
  });

  it("returns at once with wait=false, with the count stored", async () => {
    const name = service("nowait");
    await createService(name);
    const res = await scaler().scale({ name, replicas: 2, wait: false });
    expect(res.status?.desired).toBe(2);
    expect((await registry().getService({ name })).service?.replicas).toBe(2);
    for (let i = 0; i < 100 && (await scaler().getStatus({ name })).status?.running !== 2; i++)
      await new Promise((r) => setTimeout(r, 200));
    expect((await scaler().getStatus({ name })).status?.running).toBe(2);
  });

  it("serializes 16 concurrent Scale calls: ends at the last request, never above the largest", async () => {
    const name = service("concurrent");
    await createService(name);
    const counts = [3, 6, 1, 5, 0, 2, 6, 4, 1, 3, 5, 2, 6, 0, 4, 2];
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(
          peak,
          (await fixture.engine.containers.list({ all: false, labels: [serviceFilter(name)] })).length,
        );
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const client = scaler();
    const results = await Promise.allSettled(counts.map((replicas) => client.scale({ name, replicas })));
    sampling = false;
    await sampler;
    expect(results.at(-1)).toMatchObject({ status: "fulfilled" });
    for (const result of results) {
      if (result.status === "rejected") expect(ConnectError.from(result.reason).code).toBe(Code.Aborted);
    }
    expect((await client.getStatus({ name })).status).toMatchObject({ desired: 2, running: 2 });
    expect(peak).toBeLessThanOrEqual(Math.max(...counts));
    const slots = (await owned(name)).map((c) => c.name).sort();
    expect(new Set(slots).size).toBe(slots.length);
  });
});
