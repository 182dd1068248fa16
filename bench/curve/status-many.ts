/**
 * status-many: GetStatus over gRPC with 32 callers spread over every service of the fleet,
 * against the engine's label-filtered container list answering the same question.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type Docker from "dockerode";
import { GetStatusRequestSchema, Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { serviceFilter } from "../../src/model/ownership-labels.js";
import { closedLoop, describeLoad, type LoadResult } from "./closed-loop.js";
import type { Fleet } from "./fleet.js";
import { grpcFrame, openThinGrpcConnection } from "../raw-grpc-client.js";

export interface StatusManyResult {
  /** Thin client (replies not decoded), 4 HTTP/2 connections: the headline. */
  thin: LoadResult;
  /** connect-node clients, decoding and checking every reply, 1 HTTP/2 connection. */
  decoded: LoadResult;
  engine: LoadResult;
}

export async function measureStatusMany(
  url: string,
  docker: Docker,
  fleet: Fleet,
  callers: number,
  seconds: number,
  log: (line: string) => void,
): Promise<StatusManyResult> {
  const { services, replicas } = fleet;
  const scaler = createClient(Scaler, createGrpcTransport({ baseUrl: url }));
  const viaDecoded = async (i: number) => {
    const name = services[i % services.length]!;
    const { status } = await scaler.getStatus({ name });
    if (status?.running !== replicas)
      throw new Error(`GetStatus of ${name} reported ${status?.running} running of ${replicas}`);
  };
  // Each request encoded once; calls go round the 4 connections.
  const requests = services.map((name) =>
    grpcFrame(toBinary(GetStatusRequestSchema, create(GetStatusRequestSchema, { name }))),
  );
  const connections = Array.from({ length: 4 }, () => openThinGrpcConnection(url));
  const viaThin = async (i: number) => {
    const size = await connections[i % connections.length]!.call(
      "/dockhand.v1.Scaler/GetStatus",
      requests[i % requests.length]!,
    );
    if (size < replicas * 50) throw new Error(`GetStatus answered only ${size} bytes`);
  };
  const viaEngine = async (i: number) => {
    const found = await docker.listContainers({
      all: true,
      filters: { label: [serviceFilter(services[i % services.length]!)] },
    });
    if (found.length !== replicas) throw new Error(`the engine listed ${found.length} containers`);
  };
  try {
    for (const call of [viaThin, viaDecoded, viaEngine]) await closedLoop(call, callers, 2000);
    const thin = await closedLoop(viaThin, callers, seconds * 1000);
    log(describeLoad(`  dockhand GetStatus over ${services.length} services, thin client, 4 connections`, thin));
    const decoded = await closedLoop(viaDecoded, callers, seconds * 1000);
    log(
      describeLoad(`  dockhand GetStatus over ${services.length} services, connect-node client, 1 connection`, decoded),
    );
    const engine = await closedLoop(viaEngine, callers, seconds * 1000);
    log(describeLoad(`  engine listContainers with the label filter over ${services.length} services`, engine));
    return { thin, decoded, engine };
  } finally {
    for (const connection of connections) connection.close();
  }
}
