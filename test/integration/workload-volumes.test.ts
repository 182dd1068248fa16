import { execFileSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { ServiceMountType, UpdateState } from "../../gen/dockhand/v1/service_pb.js";
import { serviceFilter } from "../../src/model/ownership-labels.js";
import { testImage } from "../support/engine.js";
import { clientFor } from "../support/clients.js";
import { useTestServer } from "../support/server-fixture.js";
import { removeServiceContainers } from "../support/test-server.js";
import { until } from "../support/until.js";

const docker = (...args: string[]) =>
  execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
/** Writes a token into /data once, so a container that gets the slot's volume back finds it. */
const keepsToken = [
  "sh",
  "-c",
  "test -f /data/token || cat /proc/sys/kernel/random/uuid > /data/token; exec sleep 3600",
];

describe("volumes, tmpfs and a read-only root file system", () => {
  const fixture = useTestServer();
  const registry = () => clientFor(ServiceRegistry, fixture.server.url);
  const scaler = () => clientFor(Scaler, fixture.server.url);
  const names: string[] = [];
  const service = (prefix: string) => {
    const name = fixture.service(prefix);
    names.push(name);
    return name;
  };
  const shared = (name: string) => `${name}-shared`;
  const mounts = (name: string) => [
    { target: "/data", source: "data", perSlot: true },
    { target: "/shared", source: shared(name) },
    { type: ServiceMountType.TMPFS, target: "/scratch", tmpfsSizeBytes: 1024n * 1024n },
  ];
  const containerOf = async (name: string, slot: number) =>
    (await scaler().getStatus({ name })).status!.containers.find((c) => c.slot === slot)!.id;
  const token = async (name: string, slot: number) =>
    docker("exec", await containerOf(name, slot), "cat", "/data/token");
  const volumesOf = (name: string) =>
    docker("volume", "ls", "-q", "--filter", `label=${serviceFilter(name)}`)
      .split("\n")
      .filter(Boolean)
      .sort();

  afterAll(async () => {
    // Deleting the services first stops the reconciler from filling their slots again.
    for (const name of names)
      await registry()
        .deleteService({ name, force: true, purgeVolumes: true })
        .catch(() => undefined);
    await removeServiceContainers(fixture.engine, names);
    for (const name of names) {
      for (const volume of [...volumesOf(name), shared(name)]) {
        try {
          docker("volume", "rm", volume);
        } catch {
          // Already gone: the test purged it.
        }
      }
    }
  });

  it("gives each slot its own volume back across updates and scale-down then scale-up; shares a named one", async () => {
    const name = service("vol-slot");
    await registry().createService({
      service: {
        name,
        image: testImage,
        command: keepsToken,
        init: true,
        mounts: mounts(name),
        readOnlyRootFilesystem: true,
        updateConfig: { monitor: { seconds: 0n, nanos: 0 } },
      },
    });
    await scaler().scale({ name, replicas: 2 });
    expect(volumesOf(name)).toEqual([`${name}-1-data`, `${name}-2-data`, shared(name)].sort());
    expect(JSON.parse(docker("volume", "inspect", "--format", "{{json .Labels}}", `${name}-2-data`))).toMatchObject({
      "dockhand.service": name,
      "dockhand.slot": "2",
      "dockhand.volume": "data",
    });
    const before = [await token(name, 1), await token(name, 2)];
    expect(before[0]).not.toBe(before[1]);

    docker("exec", await containerOf(name, 1), "sh", "-c", "echo from-1 > /shared/note");
    expect(docker("exec", await containerOf(name, 2), "cat", "/shared/note")).toBe("from-1");
    const rootWrite = await containerOf(name, 1).then((id) => {
      try {
        docker("exec", id, "touch", "/root-file");
        return "written";
      } catch (err) {
        return String((err as { stderr?: string }).stderr);
      }
    });
    expect(rootWrite).toMatch(/Read-only file system/);
    expect(docker("exec", await containerOf(name, 1), "sh", "-c", "grep ' /scratch ' /proc/mounts")).toMatch(
      /^tmpfs \/scratch tmpfs rw.*size=1024k/,
    );

    await registry().updateService({
      service: {
        name,
        image: testImage,
        command: keepsToken,
        init: true,
        mounts: mounts(name),
        readOnlyRootFilesystem: true,
        environment: { REV: "2" },
        updateConfig: { monitor: { seconds: 0n, nanos: 0 } },
      },
    });
    await until(async () => (await scaler().getStatus({ name })).status?.update?.state === UpdateState.COMPLETED);
    expect([await token(name, 1), await token(name, 2)]).toEqual(before);

    await scaler().scale({ name, replicas: 1 });
    expect(volumesOf(name)).toContain(`${name}-2-data`);
    expect((await scaler().listUnusedVolumes({})).volumes.map((v) => v.name)).not.toContain(`${name}-2-data`);
    await scaler().scale({ name, replicas: 2 });
    expect(await token(name, 2)).toBe(before[1]);
  });

  it("keeps volumes on DeleteService and lists them as unused; purge_volumes removes them", async () => {
    const kept = service("vol-keep");
    const purged = service("vol-purge");
    for (const name of [kept, purged]) {
      await registry().createService({
        service: { name, image: testImage, command: keepsToken, init: true, mounts: mounts(name) },
      });
      await scaler().scale({ name, replicas: 1 });
    }
    const first = await registry().deleteService({ name: kept, force: true });
    expect(first).toMatchObject({ removedContainers: 1, removedVolumes: [] });
    expect(volumesOf(kept)).toEqual([`${kept}-1-data`, shared(kept)].sort());
    const unused = (await scaler().listUnusedVolumes({})).volumes.filter((v) => v.service === kept);
    expect(unused.map((v) => [v.name, v.slot])).toEqual(
      [
        [`${kept}-1-data`, 1],
        [shared(kept), 0],
      ].sort(),
    );

    const second = await registry().deleteService({ name: purged, force: true, purgeVolumes: true });
    expect(second.removedVolumes).toEqual([`${purged}-1-data`, shared(purged)].sort());
    expect(volumesOf(purged)).toEqual([]);
  });

  it.each([
    ["service.mounts[0].target", Code.InvalidArgument, [{ target: "data", source: "x" }]],
    ["service.mounts[0].target", Code.InvalidArgument, [{ target: "/", source: "x" }]],
    [
      "service.mounts[1].target",
      Code.InvalidArgument,
      [
        { target: "/data", source: "x" },
        { target: "/data/sub", source: "y" },
      ],
    ],
    [
      "service.mounts[1].target",
      Code.InvalidArgument,
      [
        { target: "/data", source: "x" },
        { type: ServiceMountType.TMPFS, target: "/data/" },
      ],
    ],
    ["service.mounts[0].source", Code.InvalidArgument, [{ target: "/data", source: "/etc" }]],
    ["service.mounts[0].source", Code.InvalidArgument, [{ target: "/data", source: "../etc" }]],
    ["service.mounts[0].source", Code.InvalidArgument, [{ target: "/data", source: "" }]],
    [
      "service.mounts[0].per_slot",
      Code.InvalidArgument,
      [{ type: ServiceMountType.TMPFS, target: "/t", perSlot: true }],
    ],
    [
      "service.mounts[0].read_only",
      Code.InvalidArgument,
      [{ type: ServiceMountType.TMPFS, target: "/t", readOnly: true }],
    ],
    ["service.mounts[0].tmpfs_size_bytes", Code.InvalidArgument, [{ target: "/t", source: "x", tmpfsSizeBytes: 5n }]],
    ["service.mounts[0].type", Code.InvalidArgument, [{ type: 9 as ServiceMountType, target: "/t", source: "x" }]],
    [
      "service.mounts[0].source",
      Code.PermissionDenied,
      [{ type: ServiceMountType.BIND, target: "/host", source: "/etc" }],
    ],
  ])("refuses %s (%s)", async (field, code, badMounts) => {
    const name = service("vol-input");
    const err = await registry()
      .createService({ service: { name, image: testImage, command: ["sleep", "3600"], mounts: badMounts } })
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toMatchObject({ code });
    expect((err as ConnectError).rawMessage.startsWith(`${field}:`)).toBe(true);
  });
});
