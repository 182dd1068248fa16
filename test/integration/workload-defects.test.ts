import { afterAll, describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler, ScaleWaitFor } from "../../gen/dockhand/v1/scaler_pb.js";
import { testImage } from "../support/engine.js";
import { clientFor } from "../support/clients.js";
import { failureOf } from "../support/failure.js";
import { useTestServer } from "../support/server-fixture.js";
import { removeServiceContainers } from "../support/test-server.js";
import { docker } from "../support/run.js";

/** The four defects of the workload issue found from outside, on a real engine over the wire. */
describe("workload definitions refused as they should be", () => {
  const fixture = useTestServer();
  const registry = () => clientFor(ServiceRegistry, fixture.server.url);
  const scaler = () => clientFor(Scaler, fixture.server.url);
  const extraNames: string[] = [];

  afterAll(async () => {
    for (const name of extraNames) await registry().deleteService({ name, force: true, purgeVolumes: true });
    await removeServiceContainers(fixture.engine, extraNames);
  });

  const refusal = async (call: Promise<unknown>) => {
    const err = await failureOf(call);
    return { code: Code[err.code], field: err.rawMessage.split(":")[0], message: err.rawMessage };
  };
  const sleeper = { image: testImage, command: ["sleep", "3600"], init: true };

  it("refuses a per-slot volume that another service's slot owns, and the first service's data stays its own", async () => {
    const a = fixture.service("clash");
    const a1 = `${a}-1`;
    extraNames.push(a1);
    const perSlot = (source: string) => [{ target: "/data", source, perSlot: true }];
    await registry().createService({ service: { name: a1, ...sleeper, mounts: perSlot("x") } });
    await scaler().scale({ name: a1, replicas: 2, waitFor: ScaleWaitFor.RUNNING });
    const slot2 = (await scaler().getStatus({ name: a1 })).status!.containers.find((c) => c.slot === 2)!;
    docker("exec", slot2.id, "sh", "-c", "echo mine > /data/owner");

    // Service a's slot 1 would be `a-1-2-x`: slot 2 of a-1.
    expect(
      await refusal(registry().createService({ service: { name: a, ...sleeper, mounts: perSlot("2-x") } })),
    ).toEqual({
      code: "FailedPrecondition",
      field: "service.mounts[0].source",
      message: expect.stringContaining(
        `slot 1's volume "${a1}-2-x" is also the per-slot volume "x" of service "${a1}"'s slot 2`,
      ),
    });
    expect((await failureOf(registry().getService({ name: a }))).code).toBe(Code.NotFound);
    // An update to such a name is refused the same way, and the stored definition stays.
    await registry().createService({ service: { name: a, ...sleeper, mounts: perSlot("y") } });
    expect(
      (await refusal(registry().updateService({ service: { name: a, ...sleeper, mounts: perSlot("2-x") } }))).code,
    ).toBe("FailedPrecondition");
    expect((await registry().getService({ name: a })).service!.mounts[0]!.source).toBe("y");
    const labels = JSON.parse(docker("volume", "inspect", "--format", "{{json .Labels}}", `${a1}-2-x`));
    expect(labels).toMatchObject({ "dockhand.service": a1, "dockhand.slot": "2", "dockhand.volume": "x" });
    expect(docker("exec", slot2.id, "cat", "/data/owner")).toBe("mine");
  });

  it("refuses the host network named by its id or an id prefix with PermissionDenied, as by name", async () => {
    const hostId = docker("network", "inspect", "--format", "{{.Id}}", "host");
    for (const network of ["host", hostId, hostId.slice(0, 12)]) {
      const name = fixture.service("hostnet");
      expect(await refusal(registry().createService({ service: { name, ...sleeper, networks: [network] } }))).toEqual({
        code: "PermissionDenied",
        field: "service.networks[0]",
        message: expect.stringContaining("dockhand.allow_host_network"),
      });
      expect((await failureOf(registry().getService({ name }))).code).toBe(Code.NotFound);
    }
    const bridgeId = docker("network", "inspect", "--format", "{{.Id}}", "bridge");
    expect(
      await refusal(
        registry().createService({ service: { name: fixture.service("br"), ...sleeper, networks: [bridgeId] } }),
      ),
    ).toMatchObject({ code: "InvalidArgument", field: "service.networks[0]" });
  });

  it("refuses secret and config targets under /proc, /sys and /dev, naming the field", async () => {
    const secret = `t-defect-${process.pid}`;
    await registry().createSecret({ name: secret, valueText: "s3cret" });
    await registry().createConfig({ name: secret, valueText: "conf" });
    try {
      for (const target of ["/proc/self/x", "/sys/x", "/dev/x"]) {
        const name = fixture.service("target");
        expect(
          await refusal(
            registry().createService({ service: { name, ...sleeper, secrets: [{ name: secret, target }] } }),
          ),
        ).toMatchObject({ code: "InvalidArgument", field: "service.secrets[0].target" });
        expect(
          await refusal(
            registry().createService({ service: { name, ...sleeper, configs: [{ name: secret, target }] } }),
          ),
        ).toMatchObject({ code: "InvalidArgument", field: "service.configs[0].target" });
      }
    } finally {
      await registry().deleteSecret({ name: secret });
      await registry().deleteConfig({ name: secret });
    }
  });

  it("refuses health_check durations of 0s instead of reading them as the default", async () => {
    for (const field of ["interval", "timeout"] as const) {
      const name = fixture.service("hc");
      const healthCheck = { shell: "true", [field]: { seconds: 0n, nanos: 0 } };
      expect(await refusal(registry().createService({ service: { name, ...sleeper, healthCheck } }))).toEqual({
        code: "InvalidArgument",
        field: `service.health_check.${field}`,
        message: `service.health_check.${field}: must be between 100ms and 1h (got 0s)`,
      });
    }
  });
});
