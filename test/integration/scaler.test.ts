import { describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { ContainerState, Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { serviceFilter } from "../../src/model/ownership-labels.js";
import { clientFor } from "../support/clients.js";
import { useTestServer } from "../support/server-fixture.js";

describe("Scaler against a real engine", () => {
  const fixture = useTestServer();
  const service = (prefix: string) => fixture.service(prefix);
  const createService = (name: string, extra?: Record<string, unknown>) => fixture.createService(name, extra);

  it("scales up and down with exactly the asked count, labelled and named by slot", async () => {
    const name = service("updown");
    await createService(name, { ports: [{ containerPort: 80, hostIp: "127.0.0.1" }] });
    const scaler = clientFor(Scaler, fixture.server.url);

    const up = await scaler.scale({ name, replicas: 3 });
    expect(up.status?.running).toBe(3);
    expect(up.status?.desired).toBe(3);
    expect(up.status?.containers.map((c) => c.name)).toEqual([`${name}-1`, `${name}-2`, `${name}-3`]);
    for (const c of up.status?.containers ?? []) {
      expect(c.state).toBe(ContainerState.RUNNING);
      expect(c.ports[0]?.hostIp).toBe("127.0.0.1");
      expect(c.ports[0]?.hostPort).toBeGreaterThan(0);
      expect(c.startTime).toBeDefined();
    }

    const down = await scaler.scale({ name, replicas: 1 });
    expect(down.status?.running).toBe(1);
    const left = await fixture.engine.containers.list({ all: true, labels: [serviceFilter(name)] });
    expect(left).toHaveLength(1);
    expect(left[0]?.name).toBe(`${name}-1`);

    const status = await scaler.getStatus({ name });
    expect(status.status?.running).toBe(1);
    expect(status.status?.desired).toBe(1);

    await scaler.scale({ name, replicas: 0 });
    expect(await fixture.engine.containers.list({ all: true, labels: [serviceFilter(name)] })).toHaveLength(0);
  });

  it("fails with FAILED_PRECONDITION naming the image when it is not on the engine", async () => {
    const name = service("noimage");
    await createService(name, { image: "127.0.0.1:5999/dockhand/absent:1" });
    const scaler = clientFor(Scaler, fixture.server.url);
    const err = await scaler.scale({ name, replicas: 1 }).catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.FailedPrecondition);
    expect((err as ConnectError).rawMessage).toContain("127.0.0.1:5999/dockhand/absent:1");
  });
});
