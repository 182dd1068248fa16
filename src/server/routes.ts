import type { ConnectRouter } from "@connectrpc/connect";
import type { ServiceRegistry as Registry } from "../registry/service-registry.js";
import type { Scaler as DomainScaler } from "../scaler/service-scaler.js";
import type { Engine } from "../engine/engine.js";
import type { Config } from "./config.js";
import { createContainerAgentService } from "../services/container-agent-service.js";
import { createScalerService } from "../services/scaler-service.js";
import { createStatusWatcher } from "../scaler/status-watcher.js";
import { createServiceRegistryService } from "../services/service-registry-service.js";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";

export interface RouteDeps {
  engine: Engine;
  registry: Registry;
  scaler: DomainScaler;
  config: Config;
}

/** Every RPC service dockhand serves, registered in one place. */
export function createRoutes(deps: RouteDeps): (router: ConnectRouter) => void {
  return (router) => {
    router.service(ServiceRegistry, createServiceRegistryService(deps.registry, deps.scaler));
    router.service(Scaler, createScalerService(deps.scaler, createStatusWatcher({ scaler: deps.scaler, events: deps.engine })));
    router.service(ContainerAgent, createContainerAgentService({ engine: deps.engine, hostAccess: deps.config, imageLimits: deps.config }));
  };
}
