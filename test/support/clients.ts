import { createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import type { DescService } from "@bufbuild/protobuf";

export type WireProtocol = "connect" | "grpc" | "grpcweb";

/** A typed client of one dockhand service over the chosen protocol (HTTP/2 for gRPC). */
export function clientFor<T extends DescService>(
  service: T,
  baseUrl: string,
  protocol: WireProtocol = "grpc",
): Client<T> {
  const transport =
    protocol === "grpc"
      ? createGrpcTransport({ baseUrl })
      : protocol === "grpcweb"
        ? createGrpcWebTransport({ baseUrl, httpVersion: "1.1" })
        : createConnectTransport({ baseUrl, httpVersion: "1.1" });
  return createClient(service, transport);
}
