/**
 * Bad requests from the fuzzer's corpus (test/support/fuzz): a random request of one of a few
 * methods, broken the ways the fuzzer breaks bodies and framings (never a valid body), sent
 * raw over gRPC or Connect. The fuzzer's names are its fixtures or start with "fz", so a
 * broken request that still decodes can only touch things of its own, never a soak service.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { makeBody } from "../../test/support/fuzz/body-mutations.js";
import { fuzzPrefix, type FuzzFixtures } from "../../test/support/fuzz/fuzz-values.js";
import { randomMessage } from "../../test/support/fuzz/message-generator.js";
import type { Prng } from "../../test/support/fuzz/prng.js";
import {
  answerName,
  callMethod,
  createWireClient,
  framings,
  type Protocol,
} from "../../test/support/fuzz/wire-client.js";
import { testImage } from "../../test/support/engine.js";

const methods: DescMethod[] = [
  Scaler.method.getStatus,
  Scaler.method.scale,
  Scaler.method.watchStatus,
  ServiceRegistry.method.getService,
  ServiceRegistry.method.createService,
  ServiceRegistry.method.updateService,
  ServiceRegistry.method.deleteService,
  ContainerAgent.method.listContainers,
  ContainerAgent.method.getContainer,
  ContainerAgent.method.streamLogs,
];

const fixtures: FuzzFixtures = {
  service: `${fuzzPrefix}-soak-absent`,
  container: `${fuzzPrefix}-soak-absent-box`,
  image: testImage,
  registry: "127.0.0.1:9",
};

export interface BadRequestResult {
  procedure: string;
  protocol: Protocol;
  kind: string;
  /** "ok", a code name, "open" (a stream left open until the window ended) or "broken". */
  answer: string;
  /** Why the answer is wrong; undefined when it is one a bad request may get. */
  problem?: string;
}

export type BadRequestSender = (rng: Prng) => Promise<BadRequestResult>;

export function createBadRequestSender(baseUrl: string): { send: BadRequestSender; close(): void } {
  const client = createWireClient(baseUrl);
  const send: BadRequestSender = async (rng) => {
    const method = rng.pick(methods);
    const protocol: Protocol = rng.pick(["grpc", "connect"]);
    const binary = protocol === "grpc" ? rng.chance(0.8) : rng.chance(0.3);
    const message = randomMessage(method.input, rng, { fixtures });
    let body = makeBody(method.input, message, binary ? "binary" : "json", rng);
    for (let i = 0; i < 20 && body.kind === "valid"; i++)
      body = makeBody(method.input, message, binary ? "binary" : "json", rng);
    const framing = rng.chance(0.2) ? rng.pick(framings) : "normal";
    const result = await callMethod(client, method, {
      protocol,
      binary,
      body: body.bytes,
      framing,
      timeoutMs: 5000,
      windowMs: 300,
      maxMessages: 3,
    });
    const answer = answerName(result);
    const problem = result.broken
      ? `no well-formed answer: ${result.broken}`
      : result.code === Code.Internal || result.code === Code.Unknown
        ? `answered ${answer}: ${result.message.slice(0, 200)}`
        : undefined;
    return {
      procedure: `${method.parent.name}/${method.name}`,
      protocol,
      kind: `${body.kind}${framing === "normal" ? "" : ` ${framing}`}`,
      answer,
      problem,
    };
  };
  return { send, close: () => client.close() };
}
