import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { ServiceSchema } from "../../gen/dockhand/v1/service_pb.js";
import { DockhandError } from "../../src/model/dockhand-error.js";
import { definitionWithDefaults, type ServiceDefinition } from "../../src/model/service-definition.js";
import { checkVolumeClashes, perSlotNamesMeet, perSlotVolumeName } from "../../src/model/volume-names.js";
import { checkDefinition } from "../../src/model/definition-rules.js";
import { createServiceRegistry } from "../../src/registry/service-registry.js";
import { createStateFile } from "../../src/registry/state-file.js";
import { readServiceFile } from "../../src/registry/service-file.js";
import { definitionFromProto } from "../../src/rpc/service-registry/service-mapping.js";
import { checkResolvedNetworks } from "../../src/rpc/service-registry/workload-access.js";
import type { NetworkDetails } from "../../src/engine/types.js";

/** The kind and field of what `run` threw, or "accepted". */
async function refusal(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (err) {
    if (err instanceof DockhandError) return `${err.kind} ${String(err.details?.field ?? err.message)}`;
    return `not a DockhandError: ${String(err)}`;
  }
  return "accepted";
}

const perSlot = (name: string, source: string): ServiceDefinition =>
  definitionWithDefaults({
    name,
    image: "busybox:1",
    mounts: [{ type: "volume", source, target: "/data", perSlot: true, readOnly: false, tmpfsSizeBytes: 0 }],
  });
const named = (name: string, source: string): ServiceDefinition => {
  const def = perSlot(name, source);
  return { ...def, mounts: def.mounts?.map((m) => ({ ...m, perSlot: false })) };
};

describe("per-slot volume names of two services", () => {
  it("meet exactly where the engine's names would be one", () => {
    // The case: a-1 slot 2 volume x, and a slot 1 volume 2-x: both a-1-2-x.
    expect(perSlotNamesMeet("a-1", "x", "a", "2-x")).toEqual([2, 1]);
    expect(perSlotVolumeName("a-1", 2, "x")).toBe(perSlotVolumeName("a", 1, "2-x"));
    expect(perSlotNamesMeet("a", "foo-3-z", "a-1-foo", "z")).toEqual([1, 3]);
    expect(perSlotVolumeName("a", 1, "foo-3-z")).toBe(perSlotVolumeName("a-1-foo", 3, "z"));
    // Never: names that only look alike.
    expect(perSlotNamesMeet("a", "x", "a-1", "x")).toBeUndefined();
    expect(perSlotNamesMeet("a", "02-x", "a-1", "x")).toBeUndefined();
    expect(perSlotNamesMeet("a", "2-x", "a-01", "x")).toBeUndefined();
    expect(perSlotNamesMeet("a", "2-x", "b-1", "x")).toBeUndefined();
    expect(perSlotNamesMeet("ab", "x", "ac", "x")).toBeUndefined();
    expect(perSlotNamesMeet("a", "x", "a", "x")).toBeUndefined();
  });

  it("are refused when a definition's volume is another service's slot's, naming the mount", async () => {
    expect(await refusal(() => checkVolumeClashes(perSlot("a", "2-x"), [perSlot("a-1", "x")]))).toBe(
      "FailedPrecondition mounts[0].source",
    );
    expect(await refusal(() => checkVolumeClashes(perSlot("a-1", "x"), [perSlot("a", "2-x")], "service."))).toBe(
      "FailedPrecondition service.mounts[0].source",
    );
    // A named volume called like another service's slot volume, and the other way round.
    expect(await refusal(() => checkVolumeClashes(named("b", "a-3-data"), [perSlot("a", "data")]))).toBe(
      "FailedPrecondition mounts[0].source",
    );
    expect(await refusal(() => checkVolumeClashes(perSlot("a", "data"), [named("b", "a-3-data")]))).toBe(
      "FailedPrecondition mounts[0].source",
    );
    // Two services sharing one named volume is what named volumes are for.
    expect(await refusal(() => checkVolumeClashes(named("a", "shared"), [named("b", "shared")]))).toBe("accepted");
    expect(await refusal(() => checkVolumeClashes(perSlot("a", "x"), [perSlot("a-1", "y")]))).toBe("accepted");
  });

  it("are refused by the registry on create and update, and the stored service stays as it was", async () => {
    const registry = await createServiceRegistry(createStateFile(mkdtempSync(join(tmpdir(), "dockhand-clash-"))));
    await registry.create(perSlot("a-1", "x"));
    await expect(registry.create(perSlot("a", "2-x"))).rejects.toThrow(
      /mounts\[0\]\.source: slot 1's volume "a-1-2-x" is also the per-slot volume "x" of service "a-1"'s slot 2/,
    );
    expect(registry.find("a")).toBeUndefined();
    await registry.create(perSlot("a", "y"));
    expect(await refusal(() => registry.update(perSlot("a", "2-x"), { expectedVersion: 0, allowMissing: false }))).toBe(
      "FailedPrecondition mounts[0].source",
    );
    expect(registry.get("a").definition.mounts?.[0]?.source).toBe("y");
  });
});

describe("secret and config targets", () => {
  const withFile = (kind: "secrets" | "configs", target: string) =>
    definitionWithDefaults({
      name: "web",
      image: "busybox:1",
      [kind]: [{ name: "k", target, mode: 0o444, uid: 0, gid: 0 }],
    });

  it("under /proc, /sys or /dev are refused with InvalidArgument naming the field", async () => {
    for (const target of ["/proc/k", "/sys/kernel/k", "/dev/k", "/dev/shm/k", "/proc/../proc/k"]) {
      expect(await refusal(() => checkDefinition(withFile("secrets", target), "service."))).toBe(
        "InvalidArgument service.secrets[0].target",
      );
      expect(await refusal(() => checkDefinition(withFile("configs", target)))).toBe(
        "InvalidArgument configs[0].target",
      );
    }
    expect(() => checkDefinition(withFile("secrets", "/dev/k"))).toThrow(
      /is under \/dev, which the engine mounts over/,
    );
    for (const target of ["/run/secrets/k", "/devices/k", "/processes", "/etc/sysk"]) {
      expect(await refusal(() => checkDefinition(withFile("secrets", target)))).toBe("accepted");
    }
  });
});

describe("health check durations", () => {
  const service = (healthCheck: Record<string, unknown>) =>
    create(ServiceSchema, { name: "web", image: "busybox:1", healthCheck: { shell: "true", ...healthCheck } });

  it("of 0s (or under 100ms) for interval and timeout are refused, not read as the default", async () => {
    for (const field of ["interval", "timeout"]) {
      expect(await refusal(() => definitionFromProto(service({ [field]: { seconds: 0n } })))).toBe(
        `InvalidArgument service.health_check.${field}`,
      );
      expect(await refusal(() => definitionFromProto(service({ [field]: { nanos: 50_000_000 } })))).toBe(
        `InvalidArgument service.health_check.${field}`,
      );
      expect(await refusal(() => definitionFromProto(service({ [field]: { seconds: 3601n } })))).toBe(
        `InvalidArgument service.health_check.${field}`,
      );
    }
    // start_period's range starts at 0, and an absent interval is the engine's default.
    expect(definitionFromProto(service({ startPeriod: { seconds: 0n } })).healthCheck?.startPeriodMs).toBe(0);
    expect(definitionFromProto(service({})).healthCheck?.intervalMs).toBe(0);
    expect(definitionFromProto(service({ interval: { nanos: 100_000_000 } })).healthCheck?.intervalMs).toBe(100);
  });

  it("of 0s in the service file are refused naming the key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dockhand-hc-"));
    const file = join(dir, "services.yaml");
    for (const key of ["interval", "timeout"]) {
      writeFileSync(file, `services:\n  api:\n    image: busybox:1\n    health_check: {shell: "true", ${key}: 0s}\n`);
      await expect(readServiceFile(file)).rejects.toThrow(
        new RegExp(`services\\.api\\.health_check\\.${key}: must be between 100ms and 1h \\(got 0s\\)`),
      );
    }
  });
});

describe("networks named by id", () => {
  const engineNetworks: NetworkDetails[] = [
    { id: "f00dcafe1234", name: "host", driver: "host" },
    { id: "b1d9e0000000", name: "bridge", driver: "bridge" },
    { id: "abcabc000000", name: "none", driver: "null" },
    { id: "0123456789ab", name: "mine", driver: "bridge" },
  ].map((n) => ({ ...n, scope: "local", internal: false, labels: {}, createdAt: undefined, containers: [] }));
  const networks = {
    async inspect(idOrName: string) {
      const found = engineNetworks.find((n) => n.name === idOrName || n.id.startsWith(idOrName));
      if (!found) throw new DockhandError("NotFound", `network ${idOrName} not found`);
      return found;
    },
  };
  const def = (network: string) => definitionWithDefaults({ name: "web", image: "busybox:1", networks: [network] });

  it("resolve before the host-access check: the host network by id or prefix is PermissionDenied", async () => {
    const deny = { allowHostNetwork: false };
    expect(await refusal(() => checkResolvedNetworks(def("f00dcafe1234"), networks, deny))).toBe(
      "PermissionDenied service.networks[0]",
    );
    expect(await refusal(() => checkResolvedNetworks(def("f00dcafe"), networks, deny))).toBe(
      "PermissionDenied service.networks[0]",
    );
    // Allowed, it must still be written as "host", so it is the only network and has no alias.
    expect(await refusal(() => checkResolvedNetworks(def("f00dcafe"), networks, { allowHostNetwork: true }))).toBe(
      "InvalidArgument service.networks[0]",
    );
    expect(await refusal(() => checkResolvedNetworks(def("b1d9e0"), networks, deny))).toBe(
      "InvalidArgument service.networks[0]",
    );
    expect(await refusal(() => checkResolvedNetworks(def("abcabc"), networks, deny))).toBe(
      "InvalidArgument service.networks[0]",
    );
    // A network of the user's own, by name or id, or one that does not exist yet: accepted.
    for (const name of ["mine", "0123456789ab", "not-yet"]) {
      expect(await refusal(() => checkResolvedNetworks(def(name), networks, deny))).toBe("accepted");
    }
  });
});
