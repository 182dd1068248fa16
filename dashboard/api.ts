import { createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import type { DescService } from "@bufbuild/protobuf";
import { ContainerAgent } from "../gen/dockhand/v1/container_agent_pb.js";
import { ServiceRegistry } from "../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../gen/dockhand/v1/scaler_pb.js";
import { Session } from "../gen/dockhand/v1/session_pb.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";

export type Protocol = "grpcweb" | "connect";

const tokenKey = "dockhand.token";

/** The token lives in session storage only: it goes when the tab closes. */
export function currentToken(): string {
  return sessionStorage.getItem(tokenKey) ?? "";
}

export function setToken(token: string): void {
  if (token) sessionStorage.setItem(tokenKey, token);
  else sessionStorage.removeItem(tokenKey);
}

/** The server's choice (a meta tag it fills in), unless the address asks for another. */
export function chosenProtocol(): Protocol {
  const asked =
    new URLSearchParams(location.search).get("protocol") ??
    document.querySelector<HTMLMetaElement>('meta[name="dockhand-protocol"]')?.content;
  return asked === "connect" ? "connect" : "grpcweb";
}

const withToken: Interceptor = (next) => (req) => {
  const token = currentToken();
  if (token) req.header.set("authorization", `Bearer ${token}`);
  return next(req);
};

function createTransport(protocol: Protocol): Transport {
  const options = { baseUrl: location.origin, interceptors: [withToken] };
  return protocol === "connect" ? createConnectTransport(options) : createGrpcWebTransport(options);
}

export const protocol = chosenProtocol();
const transport = createTransport(protocol);

function client<T extends DescService>(service: T): Client<T> {
  return createClient(service, transport);
}

export const registry = client(ServiceRegistry);
export const scaler = client(Scaler);
export const agent = client(ContainerAgent);
export const health = client(Health);
export const session = client(Session);
