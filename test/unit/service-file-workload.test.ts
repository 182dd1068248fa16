import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { applyServiceFile, readServiceFile } from "../../src/registry/service-file.js";
import { createServiceRegistry } from "../../src/registry/service-registry.js";
import { createStateFile } from "../../src/registry/state-file.js";
import type { SecretKind, SecretMeta } from "../../src/registry/secret-store.js";

/** A secret store holding every secret and config, each at version 3. */
const everySecret = {
  find: (kind: SecretKind, name: string): SecretMeta | undefined => ({
    kind,
    name,
    version: 3,
    labels: {},
    createdAt: "",
    updatedAt: "",
    sizeBytes: 1,
  }),
};

function file(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "dockhand-sfw-")), "services.yml");
  writeFileSync(path, text);
  return path;
}

const example = `
services:
  api:
    image: busybox:1
    health_check: {shell: "test -f /ready", interval: 500ms, timeout: 2s, retries: 2, start_period: 1m}
    mounts:
      - {target: /data, source: data, per_slot: true}
      - {type: tmpfs, target: /scratch, tmpfs_size_bytes: 1024}
    networks: [backend]
    secrets: [token, {name: tls-key, target: /etc/tls/key, mode: 0o400, uid: 1000}]
    configs: [app.conf]
`;

describe("service file: workload fields", () => {
  it("reads health check, mounts, networks, secrets and configs", async () => {
    const [api] = await readServiceFile(file(example));
    expect(api).toMatchObject({
      healthCheck: {
        test: ["CMD-SHELL", "test -f /ready"],
        intervalMs: 500,
        timeoutMs: 2000,
        retries: 2,
        startPeriodMs: 60_000,
      },
      mounts: [
        { type: "volume", target: "/data", source: "data", perSlot: true, readOnly: false, tmpfsSizeBytes: 0 },
        { type: "tmpfs", target: "/scratch", source: "", perSlot: false, readOnly: false, tmpfsSizeBytes: 1024 },
      ],
      networks: ["backend"],
      secrets: [
        { name: "token", target: "/run/secrets/token", mode: 0o444, uid: 0, gid: 0 },
        { name: "tls-key", target: "/etc/tls/key", mode: 0o400, uid: 1000, gid: 0 },
      ],
      configs: [{ name: "app.conf", target: "/app.conf", mode: 0o444 }],
    });
  });

  it("refuses an unknown key and a bad value, naming the field", async () => {
    await expect(
      readServiceFile(file("services:\n  api:\n    image: busybox:1\n    mounts: [{target: /d, sorce: x}]\n")),
    ).rejects.toThrow(/services\.api\.mounts\[0\]\.sorce: is not a known field/);
    await expect(
      readServiceFile(file("services:\n  api:\n    image: busybox:1\n    networks: [bridge]\n")),
    ).rejects.toThrow(/services\.api\.networks\[0\]/);
  });

  it("keeps the secret versions a stored definition pins, so a restart after UpdateSecret starts no rollout", async () => {
    const registry = await createServiceRegistry(createStateFile(mkdtempSync(join(tmpdir(), "dockhand-sfw-state-"))));
    const definitions = await readServiceFile(file(example));
    expect((await applyServiceFile(registry, definitions, everySecret)).created).toEqual(["api"]);
    const pinned = {
      ...registry.get("api").definition,
      fileVersions: { "secret/token": 2, "secret/tls-key": 1, "config/app.conf": 1 },
    };
    await registry.update(pinned, { expectedVersion: 0, allowMissing: false });
    const version = registry.get("api").version;
    expect(await applyServiceFile(registry, await readServiceFile(file(example)), everySecret)).toEqual({
      created: [],
      updated: [],
    });
    expect(registry.get("api").version).toBe(version);
  });

  it("refuses a secret that does not exist as CreateService does, and stores nothing", async () => {
    const registry = await createServiceRegistry(createStateFile(mkdtempSync(join(tmpdir(), "dockhand-sfw-state-"))));
    const onlyConfigs = {
      find: (kind: SecretKind, name: string) => (kind === "config" ? everySecret.find(kind, name) : undefined),
    };
    const refusal = await applyServiceFile(registry, await readServiceFile(file(example)), onlyConfigs).catch(
      (err: unknown) => err,
    );
    expect(refusal).toMatchObject({
      kind: "FailedPrecondition",
      message: 'service file: services.api: service.secrets[0].name: secret "token" does not exist; create it first',
      details: { field: "service.secrets[0].name" },
    });
    expect(registry.list()).toEqual([]);
  });

  it("pins the current version of each secret and config a new service mounts", async () => {
    const registry = await createServiceRegistry(createStateFile(mkdtempSync(join(tmpdir(), "dockhand-sfw-state-"))));
    await applyServiceFile(registry, await readServiceFile(file(example)), everySecret);
    expect(registry.get("api").definition.fileVersions).toEqual({
      "secret/token": 3,
      "secret/tls-key": 3,
      "config/app.conf": 3,
    });
  });
});
