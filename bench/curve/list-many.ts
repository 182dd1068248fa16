/**
 * list-1000: ContainerAgent.ListContainers (all) of every container on the engine over gRPC,
 * one call at a time, against dockerode's listContainers (all) of the same engine; calls
 * alternate between the two so that both see the same machine.
 */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type Docker from "dockerode";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import { timed } from "./closed-loop.js";

export interface ListManyResult {
  /** Milliseconds per call. */
  dockhand: number[];
  engine: number[];
  listed: number;
}

export async function measureListMany(
  url: string,
  docker: Docker,
  expected: number,
  calls: number,
): Promise<ListManyResult> {
  const agent = createClient(ContainerAgent, createGrpcTransport({ baseUrl: url }));
  const result: ListManyResult = { dockhand: [], engine: [], listed: 0 };
  for (let i = -3; i < calls; i++) {
    let listed = 0;
    const mine = await timed(async () => (listed = (await agent.listContainers({ all: true })).containers.length));
    const theirs = await timed(() => docker.listContainers({ all: true }));
    if (listed < expected) throw new Error(`ListContainers listed ${listed} of ${expected} containers`);
    result.listed = listed;
    // The first three of each are a warm-up.
    if (i < 0) continue;
    result.dockhand.push(mine * 1000);
    result.engine.push(theirs * 1000);
  }
  return result;
}
