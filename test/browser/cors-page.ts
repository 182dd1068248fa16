// A page on another origin than dockhand's, bundled by the CORS browser test with esbuild: it
// calls dockhand through connect-web over gRPC-web or Connect, as a dashboard elsewhere would.
import { createClient, ConnectError, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";

export interface CallResult {
  ok: boolean;
  code?: string;
  message?: string;
  services?: string[];
  firstStatus?: { name: string; desired: number };
}

function transport(protocol: "grpcweb" | "connect", baseUrl: string, token: string | undefined) {
  const auth: Interceptor = (next) => (req) => {
    if (token) req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  return protocol === "grpcweb"
    ? createGrpcWebTransport({ baseUrl, interceptors: [auth] })
    : createConnectTransport({ baseUrl, interceptors: [auth] });
}

async function outcome(run: () => Promise<CallResult>): Promise<CallResult> {
  try {
    return await run();
  } catch (err) {
    const e = ConnectError.from(err);
    return { ok: false, code: e.code === undefined ? "unknown" : String(e.code), message: e.rawMessage };
  }
}

/** A unary ListServices. */
export function listServices(protocol: "grpcweb" | "connect", baseUrl: string, token?: string): Promise<CallResult> {
  return outcome(async () => {
    const answer = await createClient(ServiceRegistry, transport(protocol, baseUrl, token)).listServices({});
    return { ok: true, services: answer.services.map((s) => s.name) };
  });
}

/** The first message of a WatchStatus server stream, then the stream is cancelled. */
export function firstStatus(
  protocol: "grpcweb" | "connect",
  baseUrl: string,
  name: string,
  token?: string,
): Promise<CallResult> {
  return outcome(async () => {
    const abort = new AbortController();
    for await (const update of createClient(Scaler, transport(protocol, baseUrl, token)).watchStatus(
      { name },
      { signal: abort.signal },
    )) {
      abort.abort();
      return { ok: true, firstStatus: { name: update.status?.name ?? "", desired: update.status?.desired ?? -1 } };
    }
    return { ok: false, code: "ended", message: "the stream ended with no message" };
  });
}
