import { mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { threadId } from "node:worker_threads";
import { testImage } from "../engine.js";
import { run } from "./run-command.js";
import { createSwarmNetwork, type SwarmNetwork } from "./swarm-network.js";
import { createSwarmNode, type SwarmNode } from "./swarm-node.js";
import { removeRun, runLeftovers, sweepStaleRuns } from "./swarm-leftovers.js";

/** A Docker Swarm of three dockerds on this machine: node 1 the manager, 2 and 3 workers. */
export interface TestSwarm {
  readonly nodes: readonly SwarmNode[];
  readonly manager: SwarmNode;
  /** Names (run prefix) every namespace, hostname and cgroup of this swarm starts with. */
  readonly prefix: string;
  /** Node ids by hostname, as Swarm knows them. */
  nodeIds(): Promise<Map<string, string>>;
  /** Waits until every node is ready in the manager's view. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Stops everything, removes it and checks that nothing is left; throws naming what is. */
  destroy(): Promise<void>;
}

/** The manager's view of a node, as `docker node ls` prints it. */
interface NodeRow {
  ID: string;
  Hostname: string;
  Status: string;
  Availability: string;
}

async function nodeRows(manager: SwarmNode): Promise<NodeRow[]> {
  const out = await manager.docker(["node", "ls", "--format", "{{json .}}"], 15_000);
  return out
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as NodeRow);
}

let runs = 0;

/**
 * Builds the swarm: network, three dockerds, `swarm init` on node 1 (its own address pool),
 * `swarm join` of the others, the test image loaded into each. Bounded: throws (after removing
 * what it made) if that takes longer than `timeoutMs`.
 */
export async function startTestSwarm(options: { timeoutMs?: number } = {}): Promise<TestSwarm> {
  const timeoutMs = options.timeoutMs ?? 150_000;
  const tmp = tmpdir();
  await sweepStaleRuns(tmp);
  // The thread too: two test files in worker threads of one process must not share names.
  const prefix = `dhsw-${process.pid}-${threadId * 100 + runs++}`;
  const runDir = join(tmp, prefix);
  mkdirSync(runDir, { recursive: true });
  let network: SwarmNetwork | undefined;
  const nodes: SwarmNode[] = [];

  const swarm: TestSwarm = {
    nodes,
    get manager() {
      return nodes[0]!;
    },
    prefix,
    async nodeIds() {
      return new Map((await nodeRows(nodes[0]!)).map((row) => [row.Hostname, row.ID]));
    },
    async waitReady(waitMs = 90_000) {
      const started = Date.now();
      for (;;) {
        const rows = await nodeRows(nodes[0]!).catch(() => []);
        if (rows.length === nodes.length && rows.every((row) => row.Status === "Ready")) return;
        if (Date.now() - started > waitMs) throw new Error(`swarm nodes not ready: ${JSON.stringify(rows)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    async destroy() {
      await Promise.all(nodes.map((node) => node.stop("SIGTERM")));
      await removeRun(prefix, runDir);
      const left = runLeftovers(prefix, runDir);
      if (left.length) throw new Error(`test swarm ${prefix} left behind: ${left.join("; ")}`);
    },
  };

  const build = async () => {
    network = await createSwarmNetwork(prefix, 3);
    for (let index = 1; index <= 3; index++) {
      nodes.push(
        createSwarmNode({
          index,
          runDir,
          prefix,
          namespacePath: network.namespacePath(index),
          address: network.address(index),
        }),
      );
    }
    const image = join(runDir, "image.tar");
    await Promise.all([...nodes.map((node) => node.start()), run("docker", ["save", "-o", image, testImage], 120_000)]);
    const archive = readFileSync(image);
    await Promise.all(nodes.map((node) => node.docker(["load", "-q"], 120_000, archive)));
    const manager = nodes[0]!;
    await manager.docker(
      [
        "swarm",
        "init",
        "--advertise-addr",
        manager.address,
        "--listen-addr",
        `${manager.address}:2377`,
        "--default-addr-pool",
        "10.215.0.0/16",
        // A stopped worker is seen as down after a few missed heartbeats, not after 15 s.
        "--dispatcher-heartbeat",
        "1s",
        "--task-history-limit",
        "2",
      ],
      60_000,
    );
    const token = (await manager.docker(["swarm", "join-token", "-q", "worker"], 15_000)).trim();
    await Promise.all(
      nodes
        .slice(1)
        .map((node) =>
          node.docker(
            [
              "swarm",
              "join",
              "--token",
              token,
              "--advertise-addr",
              node.address,
              "--listen-addr",
              `${node.address}:2377`,
              `${manager.address}:2377`,
            ],
            60_000,
          ),
        ),
    );
    await swarm.waitReady();
  };

  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      build(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`test swarm not formed within ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    await swarm.destroy().catch(() => undefined);
    await network?.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return swarm;
}
