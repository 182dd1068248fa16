import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import type { Engine } from "../engine/engine.js";
import { createServiceRegistry, type ServiceRegistry } from "../registry/service-registry.js";
import { applyServiceFile, readServiceFile } from "../registry/service-file.js";
import { createStateFile } from "../registry/state-file.js";
import { createScaler, type Scaler } from "../scaler/service-scaler.js";
import type { Config } from "./config.js";
import { errorInterceptor } from "./error-interceptor.js";
import { createLoggingInterceptor } from "./logging-interceptor.js";
import { createOnePortServer } from "./one-port-server.js";
import { createRoutes } from "./routes.js";

export interface DockhandServer {
  readonly port: number;
  readonly url: string;
  readonly registry: ServiceRegistry;
  readonly scaler: Scaler;
  /** Drains in-flight calls (up to the configured grace) and stops listening. */
  close(): Promise<void>;
}

export interface DockhandServerOptions {
  config: Config;
  engine: Engine;
  logger: Logger;
}

/** Loads state, applies the service file, and serves every protocol on one port. */
export async function startDockhandServer(options: DockhandServerOptions): Promise<DockhandServer> {
  const { config, engine, logger } = options;
  const registry = await createServiceRegistry(createStateFile(config.dataDir));
  if (config.serviceFile) {
    const result = await applyServiceFile(registry, await readServiceFile(config.serviceFile));
    logger.info({ file: config.serviceFile, ...result }, "applied service file");
  }
  const scaler = createScaler({
    engine,
    registry,
    logger,
    concurrency: config.scaleConcurrency,
    maxReplicas: config.maxReplicas,
  });
  const handler = connectNodeAdapter({
    routes: createRoutes({ engine, registry, scaler, config }),
    interceptors: [createLoggingInterceptor(logger), errorInterceptor],
  });
  const server = createOnePortServer(handler);
  const address = await server.listen(config.port, config.bind);
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    port: address.port,
    url: `http://${host}:${address.port}`,
    registry,
    scaler,
    close: () => server.close(config.shutdownGraceMs),
  };
}
