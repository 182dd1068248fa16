import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { DockhandError, isDockhandError } from "../../src/model/dockhand-error.js";
import type { SwarmEngine, SwarmFileObject, SwarmNetwork, SwarmService } from "../../src/engine/swarm.js";
import { definitionWithDefaults, type StoredService } from "../../src/model/service-definition.js";
import { createSwarmResources } from "../../src/orchestrator/swarm/swarm-resources.js";

const logger = pino({ level: "silent" });

/** Networks, secrets and configs of a swarm in memory; `data` keeps what each create was sent. */
function fakeSwarm() {
  let ids = 0;
  const networks: SwarmNetwork[] = [
    { id: "br", name: "plain", driver: "bridge", scope: "local", attachable: false, labels: {} },
  ];
  const files = {
    secret: [] as Array<SwarmFileObject & { data: string }>,
    config: [] as Array<SwarmFileObject & { data: string }>,
  };
  const matches = (labels: Record<string, string>, query: readonly string[]) =>
    query.every((q) => {
      const [key, value] = q.split("=");
      return value === undefined ? key! in labels : labels[key!] === value;
    });
  const objects = (kind: "secret" | "config") => ({
    list: async (labels: readonly string[]) => files[kind].filter((o) => matches(o.labels, labels)),
    create: async (spec: { name: string; labels: Record<string, string>; data: Uint8Array }) => {
      if (files[kind].some((o) => o.name === spec.name)) throw new DockhandError("AlreadyExists", "taken");
      const id = `${kind}${++ids}`;
      files[kind].push({ id, name: spec.name, labels: spec.labels, data: Buffer.from(spec.data).toString() });
      return id;
    },
    remove: async (id: string) => {
      files[kind] = files[kind].filter((o) => o.id !== id);
    },
  });
  const swarm = {
    networks: {
      inspect: async (idOrName: string) => {
        const found = networks.find((n) => n.name === idOrName || n.id === idOrName);
        if (!found) throw new DockhandError("NotFound", `network ${idOrName}`);
        return found;
      },
      createOverlay: async (spec: { name: string; labels: Record<string, string> }) => {
        const id = `net${++ids}`;
        networks.push({
          id,
          name: spec.name,
          driver: "overlay",
          scope: "swarm",
          attachable: true,
          labels: spec.labels,
        });
        return id;
      },
      list: async (labels: readonly string[]) => networks.filter((n) => matches(n.labels, labels)),
      remove: async (id: string) => {
        networks.splice(
          networks.findIndex((n) => n.id === id),
          1,
        );
      },
    },
    secrets: objects("secret"),
    configs: objects("config"),
  } as unknown as Pick<SwarmEngine, "networks" | "secrets" | "configs">;
  return { swarm, networks, files };
}

const stored = (extra: Record<string, unknown>): StoredService =>
  ({ definition: definitionWithDefaults({ name: "web", image: "busybox:1", ...extra }), version: 1 }) as StoredService;

describe("Swarm networks, secrets and configs of definitions", () => {
  const values = { value: (kind: string, name: string, version: number) => Buffer.from(`${kind}:${name}:${version}`) };

  it("creates a missing overlay and each pinned version once, from the registry's value, and resolves their ids", async () => {
    const fake = fakeSwarm();
    const resources = createSwarmResources({ swarm: fake.swarm, secrets: values, instance: "i", logger });
    const def = stored({
      networks: ["backend"],
      secrets: [{ name: "db", target: "/run/secrets/db", mode: 0o400, uid: 0, gid: 0 }],
      fileVersions: { "secret/db": 2 },
    }).definition;
    await resources.ensure(def);
    await resources.ensure(def);
    expect(fake.networks.filter((n) => n.name === "backend")).toHaveLength(1);
    expect(resources.networkId("backend")).toMatch(/^net/);
    expect(fake.files.secret.map((o) => [o.name, o.data, o.labels["dockhand.file"]])).toEqual([
      ["db-v2", "secret:db:2", "secret/db"],
    ]);
    expect(resources.fileId("secret", "db-v2")).toBe(fake.files.secret[0]!.id);
  });

  it("joins an existing overlay by name as it is, and never removes it", async () => {
    const fake = fakeSwarm();
    fake.networks.push({ id: "ops", name: "ops-net", driver: "overlay", scope: "swarm", attachable: true, labels: {} });
    const resources = createSwarmResources({ swarm: fake.swarm, secrets: values, instance: "i", logger });
    await resources.ensure(stored({ networks: ["ops-net"] }).definition);
    expect(resources.networkId("ops-net")).toBe("ops");
    expect(fake.networks.map((n) => n.name)).toEqual(["plain", "ops-net"]);
    expect(await resources.sweep([], [])).toEqual([]);
    expect(fake.networks.map((n) => n.name)).toEqual(["plain", "ops-net"]);
  });

  it("refuses a network of that name that is no overlay, naming the field", async () => {
    const resources = createSwarmResources({ swarm: fakeSwarm().swarm, secrets: values, instance: "i", logger });
    const failure = await resources.ensure(stored({ networks: ["plain"] }).definition).catch((e: unknown) => e);
    expect(isDockhandError(failure, "FailedPrecondition")).toBe(true);
    expect((failure as DockhandError).details?.field).toBe("service.networks[0]");
  });

  it("sweeps a version no definition pins and no service names, and a network of its own no definition names", async () => {
    const fake = fakeSwarm();
    const resources = createSwarmResources({ swarm: fake.swarm, secrets: values, instance: "i", logger });
    const secrets = [{ name: "db", target: "/run/secrets/db", mode: 0o400, uid: 0, gid: 0 }];
    const v1 = stored({ networks: ["backend"], secrets, fileVersions: { "secret/db": 1 } });
    const v2 = stored({ networks: ["backend"], secrets, fileVersions: { "secret/db": 2 } });
    await resources.ensure(v1.definition);
    await resources.ensure(v2.definition);
    const naming = (id: string) => [
      { spec: { secrets: [{ id }], configs: [], networks: [] } } as unknown as SwarmService,
    ];
    // v1 is still named by the service's spec (its update has not been written yet): kept.
    expect(await resources.sweep([v2], naming(resources.fileId("secret", "db-v1")!))).toEqual([]);
    expect(await resources.sweep([v2], naming(resources.fileId("secret", "db-v2")!))).toEqual(["db-v1"]);
    expect(fake.files.secret.map((o) => o.name)).toEqual(["db-v2"]);
    // The service is gone: its secret versions and the overlay it made go too; someone else's network stays.
    expect((await resources.sweep([], [])).sort()).toEqual(["backend", "db-v2"]);
    expect(fake.networks.map((n) => n.name)).toEqual(["plain"]);
  });
});
