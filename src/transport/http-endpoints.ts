import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import type { EngineHealth } from "../engine/engine-health.js";
import type { Metrics } from "./metrics.js";

type NodeHandlerFn = NonNullable<ConnectNodeAdapterOptions["fallback"]>;
type NodeServerResponse = Parameters<NodeHandlerFn>[1];

export interface HttpEndpointsOptions {
  health: EngineHealth;
  metrics: Metrics;
}

function reply(res: NodeServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
  res.end(body);
}

/**
 * Plain HTTP next to the RPCs, on the same port, for load balancers, orchestrators and
 * Prometheus: `/healthz` (the process serves), `/readyz` (the Docker engine answers) and
 * `/metrics`. Used as the Connect adapter's fallback, so it only sees paths no RPC claims.
 */
export function createHttpEndpoints(options: HttpEndpointsOptions): NodeHandlerFn {
  const { health, metrics } = options;
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      reply(res, 404, "text/plain; charset=utf-8", "not found\n");
      return;
    }
    switch (path) {
      case "/healthz":
        reply(res, 200, "text/plain; charset=utf-8", "ok\n");
        return;
      case "/readyz":
        if (health.current() === "SERVING") reply(res, 200, "text/plain; charset=utf-8", "ready\n");
        else reply(res, 503, "text/plain; charset=utf-8", "not ready: the Docker engine does not answer\n");
        return;
      case "/metrics":
        metrics.registry.metrics().then(
          (text) => reply(res, 200, metrics.registry.contentType, text),
          (err: unknown) => reply(res, 500, "text/plain; charset=utf-8", `metrics failed: ${(err as Error).message}\n`),
        );
        return;
      default:
        reply(res, 404, "text/plain; charset=utf-8", "not found\n");
    }
  };
}
