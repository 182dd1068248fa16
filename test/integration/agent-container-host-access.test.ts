import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expectCode, useContainerFixture, type ContainerFixture } from "../support/container-fixture.js";

/** Exits 0 when CAP_NET_ADMIN (bit 12) is in the effective set, 1 otherwise. */
const hasNetAdmin = ["sh", "-c", "cap=$(grep CapEff /proc/self/status | cut -f2); [ $(( 0x$cap & 0x1000 )) -ne 0 ]"];

describe("ContainerAgent: options with power over the host", () => {
  const strict = useContainerFixture("strict");
  const allowing = useContainerFixture("allowing", {
    allowHostMounts: true,
    allowHostNetwork: true,
    allowPrivileged: true,
    allowedCapabilities: ["NET_ADMIN"],
  });
  let hostDir: string;

  const count = async (fx: ContainerFixture) =>
    (await fx.agent.listContainers({ all: true, labelSelector: [fx.selector] })).containers.length;

  beforeAll(async () => {
    hostDir = mkdtempSync(join(tmpdir(), "dockhand-agent-mount-"));
  });
  afterAll(async () => {
    if (hostDir) rmSync(hostDir, { recursive: true, force: true });
  });

  it("refuses each of them with PERMISSION_DENIED under the default config, creating nothing", async () => {
    const cases: Array<[Parameters<ContainerFixture["create"]>[0], string]> = [
      [{ hostAccess: { privileged: true } }, "spec.host_access.privileged"],
      [{ hostAccess: { hostNetwork: true } }, "spec.host_access.host_network"],
      [{ hostAccess: { addCapabilities: ["NET_ADMIN"] } }, "spec.host_access.add_capabilities[0]"],
      [{ hostAccess: { addCapabilities: ["ALL"] } }, "spec.host_access.add_capabilities[0]"],
      [{ mounts: [{ containerPath: "/host", source: { case: "hostPath", value: "/" } }] }, "spec.mounts[0].host_path"],
    ];
    for (const [spec, field] of cases) {
      await expectCode(strict.create(spec), Code.PermissionDenied, field, "not allowed");
    }
    expect(await count(strict)).toBe(0);
  });

  it("mounts a host directory when the config allows host mounts", async () => {
    const writer = await allowing.run({
      command: ["sh", "-c", "echo from-container > /host/out.txt"],
      mounts: [{ containerPath: "/host", source: { case: "hostPath", value: hostDir } }],
    });
    expect((await allowing.agent.waitContainer({ id: writer.id })).exitCode).toBe(0);
    expect(readFileSync(join(hostDir, "out.txt"), "utf8")).toBe("from-container\n");
    const { container } = await allowing.agent.getContainer({ id: writer.id });
    expect(container?.mounts).toEqual([
      expect.objectContaining({
        containerPath: "/host",
        source: { case: "hostPath", value: hostDir },
        readOnly: false,
      }),
    ]);
  });

  it("adds an allowed capability, and only an allowed one", async () => {
    const withCap = await allowing.run({ command: hasNetAdmin, hostAccess: { addCapabilities: ["cap_net_admin"] } });
    expect((await allowing.agent.waitContainer({ id: withCap.id })).exitCode).toBe(0);
    expect((await allowing.agent.getContainer({ id: withCap.id })).container?.hostAccess?.addCapabilities).toEqual([
      "NET_ADMIN",
    ]);

    const without = await allowing.run({ command: hasNetAdmin });
    expect((await allowing.agent.waitContainer({ id: without.id })).exitCode).toBe(1);

    const before = await count(allowing);
    await expectCode(
      allowing.create({ hostAccess: { addCapabilities: ["NET_ADMIN", "SYS_ADMIN"] } }),
      Code.PermissionDenied,
      "spec.host_access.add_capabilities[1]",
      "SYS_ADMIN",
    );
    expect(await count(allowing)).toBe(before);
  });

  it("creates host-network and privileged containers when allowed (created, never started)", async () => {
    const hostNet = await allowing.create({ hostAccess: { hostNetwork: true } });
    expect(hostNet.hostAccess?.hostNetwork).toBe(true);
    const privileged = await allowing.create({ hostAccess: { privileged: true } });
    expect(privileged.hostAccess?.privileged).toBe(true);
    await allowing.agent.deleteContainer({ id: hostNet.id });
    await allowing.agent.deleteContainer({ id: privileged.id });
  });
});
