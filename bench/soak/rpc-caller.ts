/**
 * One client's calls, whatever its protocol: gRPC through @grpc/grpc-js (HTTP/2), Connect
 * with JSON bodies and gRPC-web, both through connect-node over HTTP/1.1. Every failure is a
 * ConnectError, so that the soak judges codes the same way for all three.
 */
import {
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type DescMethodServerStreaming,
  type DescMethodUnary,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";

export type SoakProtocol = "grpc" | "connect" | "grpcweb";

export interface RpcCaller {
  readonly protocol: SoakProtocol;
  unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    request: MessageInitShape<I>,
    timeoutMs?: number,
  ): Promise<MessageShape<O>>;
  /** Messages of a server stream until it ends or `signal` aborts (the loop then ends quietly). */
  serverStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodServerStreaming<I, O>,
    request: MessageInitShape<I>,
    signal: AbortSignal,
  ): AsyncIterable<MessageShape<O>>;
  close(): void;
}

const pathOf = (method: { parent: { typeName: string }; name: string }) => `/${method.parent.typeName}/${method.name}`;

function fromGrpcJs(err: unknown): ConnectError {
  const status = err as Partial<grpc.ServiceError>;
  // grpc-js numbers its status codes as Connect does.
  return new ConnectError(
    status.details ?? String(err),
    typeof status.code === "number" ? (status.code as number as Code) : Code.Unknown,
  );
}

function grpcJsCaller(baseUrl: string): RpcCaller {
  const client = new grpc.Client(new URL(baseUrl).host, grpc.credentials.createInsecure());
  return {
    protocol: "grpc",
    unary(method, request, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest(
          pathOf(method),
          (message: MessageShape<typeof method.input>) => Buffer.from(toBinary(method.input, message)),
          (bytes: Buffer) => fromBinary(method.output, bytes),
          create(method.input, request),
          { deadline: Date.now() + timeoutMs },
          (err, value) => (err ? reject(fromGrpcJs(err)) : resolve(value!)),
        );
      });
    },
    async *serverStream(method, request, signal) {
      const call = client.makeServerStreamRequest(
        pathOf(method),
        (message: MessageShape<typeof method.input>) => Buffer.from(toBinary(method.input, message)),
        (bytes: Buffer) => fromBinary(method.output, bytes),
        create(method.input, request),
      );
      const cancel = () => call.cancel();
      signal.addEventListener("abort", cancel, { once: true });
      try {
        for await (const message of call) yield message as MessageShape<typeof method.output>;
      } catch (err) {
        if (!signal.aborted) throw fromGrpcJs(err);
      } finally {
        signal.removeEventListener("abort", cancel);
        call.cancel();
      }
    },
    close: () => client.close(),
  };
}

function connectNodeCaller(baseUrl: string, protocol: "connect" | "grpcweb"): RpcCaller {
  const transport =
    protocol === "connect"
      ? createConnectTransport({ baseUrl, httpVersion: "1.1", useBinaryFormat: false })
      : createGrpcWebTransport({ baseUrl, httpVersion: "1.1" });
  return {
    protocol,
    async unary(method, request, timeoutMs = 60_000) {
      const response = await transport.unary(method, undefined, timeoutMs, undefined, request).catch((err: unknown) => {
        throw ConnectError.from(err);
      });
      return response.message;
    },
    async *serverStream(method, request, signal) {
      try {
        const response = await transport.stream(
          method,
          signal,
          undefined,
          undefined,
          (async function* () {
            yield request;
          })(),
        );
        for await (const message of response.message) yield message;
      } catch (err) {
        if (!signal.aborted) throw ConnectError.from(err);
      }
    },
    close: () => undefined,
  };
}

export function createRpcCaller(baseUrl: string, protocol: SoakProtocol): RpcCaller {
  return protocol === "grpc" ? grpcJsCaller(baseUrl) : connectNodeCaller(baseUrl, protocol);
}
