/** The fake engine's volumes and networks, in memory. */
import { randomBytes } from "node:crypto";
import { DockhandError } from "../../src/model/dockhand-error.js";
import type { NetworkControl } from "../../src/engine/network-control.js";
import type { NetworkDetails, VolumeDetails } from "../../src/engine/types.js";
import type { VolumeControl } from "../../src/engine/volume-control.js";

function matchesLabels(labels: Record<string, string>, filters: string[] | undefined): boolean {
  return (filters ?? []).every((filter) => {
    const [key, value] = filter.split("=", 2) as [string, string | undefined];
    return value === undefined ? key in labels : labels[key] === value;
  });
}

/** In-memory volumes and networks for the fake engine; containers' use of them is not modelled. */
export function createFakeResourceControl(): { volumes: VolumeControl; networks: NetworkControl } {
  const volumes = new Map<string, VolumeDetails>();
  const networks = new Map<string, NetworkDetails>();
  const volume = (name: string) => {
    const found = volumes.get(name);
    if (!found) throw new DockhandError("NotFound", `get ${name}: no such volume`);
    return found;
  };
  const network = (idOrName: string) => {
    const found = [...networks.values()].find((n) => n.id === idOrName || n.name === idOrName);
    if (!found) throw new DockhandError("NotFound", `network ${idOrName} not found`);
    return found;
  };
  const volumeControl: VolumeControl = {
    async create(spec) {
      if (!volumes.has(spec.name))
        volumes.set(spec.name, {
          name: spec.name,
          driver: "local",
          labels: { ...spec.labels },
          mountpoint: `/fake/volumes/${spec.name}`,
          createdAt: new Date(),
        });
      return structuredClone(volume(spec.name));
    },
    inspect: async (name) => structuredClone(volume(name)),
    list: async (query) =>
      [...volumes.values()].filter((v) => matchesLabels(v.labels, query.labels)).map((v) => structuredClone(v)),
    async remove(name) {
      volume(name);
      volumes.delete(name);
    },
  };
  const networkControl: NetworkControl = {
    async create(spec) {
      if ([...networks.values()].some((n) => n.name === spec.name))
        throw new DockhandError("AlreadyExists", `network with name ${spec.name} already exists`);
      const id = randomBytes(32).toString("hex");
      networks.set(id, {
        id,
        name: spec.name,
        driver: "bridge",
        scope: "local",
        internal: spec.internal,
        labels: { ...spec.labels },
        createdAt: new Date(),
        containers: [],
      });
      return structuredClone(network(id));
    },
    inspect: async (idOrName) => structuredClone(network(idOrName)),
    list: async (query) =>
      [...networks.values()]
        .filter((n) => matchesLabels(n.labels, query.labels))
        .map((n) => ({ ...structuredClone(n), containers: [] })),
    async remove(idOrName) {
      const found = network(idOrName);
      if (found.containers.length > 0)
        throw new DockhandError("Conflict", `network ${found.name} has active endpoints`);
      networks.delete(found.id);
    },
    async connect(idOrName, container) {
      const found = network(idOrName);
      if (found.containers.some((c) => c.id === container))
        throw new DockhandError("Conflict", `endpoint with name ${container} already exists in network ${found.name}`);
      found.containers.push({ id: container, name: container, ipv4: "" });
    },
    async disconnect(idOrName, container) {
      const found = network(idOrName);
      if (!found.containers.some((c) => c.id === container))
        throw new DockhandError("Conflict", `container ${container} is not connected to network ${found.name}`);
      found.containers = found.containers.filter((c) => c.id !== container);
    },
  };
  return { volumes: volumeControl, networks: networkControl };
}
