import { run, tryRun } from "./run-command.js";

/**
 * The private network of a test swarm: a namespace per node and one for a bridge, joined by
 * veth pairs. Every address lives inside these namespaces, so no traffic leaves the machine,
 * and the veths are created directly inside them, so no interface ever appears on the host.
 */
export interface SwarmNetwork {
  /** The node's namespace, for `nsenter --net=`. */
  namespacePath(node: number): string;
  /** The node's address on the private subnet. */
  address(node: number): string;
  readonly namespaces: readonly string[];
  destroy(): Promise<void>;
}

/** The nodes' subnet: the same in every run is fine, since it exists only inside the run's namespaces. */
export const nodeSubnetPrefix = "10.213.0";

export async function createSwarmNetwork(prefix: string, nodes: number): Promise<SwarmNetwork> {
  const bridgeNs = `${prefix}-br`;
  const nodeNs = (n: number) => `${prefix}-n${n}`;
  const namespaces = [bridgeNs, ...Array.from({ length: nodes }, (_, i) => nodeNs(i + 1))];
  const network: SwarmNetwork = {
    namespacePath: (n) => `/run/netns/${nodeNs(n)}`,
    address: (n) => `${nodeSubnetPrefix}.${10 + n}`,
    namespaces,
    async destroy() {
      // Deleting a namespace deletes the veth ends inside it, and with them their peers.
      for (const ns of namespaces) await tryRun("ip", ["netns", "delete", ns]);
    },
  };
  try {
    for (const ns of namespaces) await run("ip", ["netns", "add", ns]);
    await run("ip", ["-n", bridgeNs, "link", "add", "br0", "type", "bridge"]);
    await run("ip", ["-n", bridgeNs, "link", "set", "br0", "up"]);
    for (let n = 1; n <= nodes; n++) {
      await run("ip", [
        "link",
        "add",
        "eth0",
        "netns",
        nodeNs(n),
        "type",
        "veth",
        "peer",
        "name",
        `n${n}`,
        "netns",
        bridgeNs,
      ]);
      await run("ip", ["-n", bridgeNs, "link", "set", `n${n}`, "master", "br0", "up"]);
      await run("ip", ["-n", nodeNs(n), "addr", "add", `${network.address(n)}/24`, "dev", "eth0"]);
      await run("ip", ["-n", nodeNs(n), "link", "set", "eth0", "up"]);
      await run("ip", ["-n", nodeNs(n), "link", "set", "lo", "up"]);
    }
  } catch (err) {
    await network.destroy();
    throw err;
  }
  return network;
}
