import type { ConnectRouter } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { ServiceRegistry as Registry } from "../registry/service-registry.js";
import type { Orchestrator } from "../orchestrator/orchestrator.js";
import type { Engine } from "../engine/engine.js";
import type { Config } from "./config.js";
import type { EngineHealth } from "../engine/engine-health.js";
import { createContainerAgentService } from "../rpc/container-agent/container-agent-service.js";
import { createScalerService } from "../rpc/scaler/scaler-service.js";
import { createServicesWatcher } from "../orchestrator/services-watcher.js";
import { createServiceRegistryService } from "../rpc/service-registry/service-registry-service.js";
import { checkSwarmDefinition } from "../orchestrator/swarm/swarm-service-spec.js";
import type { SecretStore } from "../registry/secret-store.js";
import { createDescriptorIndex } from "../rpc/reflection/descriptor-index.js";
import { createHealthService } from "../rpc/health/health-service.js";
import { createReflectionService } from "../rpc/reflection/reflection-service.js";
import { ContainerAgent } from "../../gen/dockhand/v1/container_agent_pb.js";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { Session } from "../../gen/dockhand/v1/session_pb.js";
import { createSessionService } from "../rpc/session/session-service.js";
import { procedureRoles } from "../transport/auth/procedure-roles.js";
import { Health } from "../../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1Alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";

export interface RouteDeps {
  engine: Engine;
  registry: Registry;
  orchestrator: Orchestrator;
  config: Config;
  health: EngineHealth;
  secrets: SecretStore;
  /** The server's logger: interactive sessions write their audit lines to it. */
  logger: Logger;
}

/** Every service on the router: what reflection lists and health knows by name. */
const served = [ServiceRegistry, Scaler, ContainerAgent, Session, Health, ReflectionV1, ReflectionV1Alpha];

/** Every RPC service dockhand serves, registered in one place. */
export function createRoutes(deps: RouteDeps): (router: ConnectRouter) => void {
  return (router) => {
    router.service(
      ServiceRegistry,
      createServiceRegistryService({
        registry: deps.registry,
        orchestrator: deps.orchestrator,
        hostAccess: deps.config,
        secrets: deps.secrets,
        networks: deps.engine.networks,
        orchestratorRules: deps.config.orchestrator === "swarm" ? checkSwarmDefinition : undefined,
        autoscaleLimits: deps.config,
      }),
    );
    router.service(
      Scaler,
      createScalerService({
        orchestrator: deps.orchestrator,
        servicesWatcher: createServicesWatcher({ source: deps.orchestrator, registry: deps.registry }),
        registry: deps.registry,
      }),
    );
    const agent = createContainerAgentService({
      engine: deps.engine,
      hostAccess: deps.config,
      imageLimits: deps.config,
      audit: deps.logger,
      copyLimits: deps.config,
    });
    router.service(ContainerAgent, agent);
    // An inline image archive may be larger than any other message: LoadImage alone reads up to
    // its own limit (registered after the service, so this handler is the one its path finds).
    if (agent.loadImage) {
      const framing = 64 * 1024;
      router.rpc(ContainerAgent.method.loadImage, agent.loadImage, {
        readMaxBytes: Math.max(deps.config.maxMessageBytes, deps.config.loadInlineMaxBytes + framing),
      });
    }
    router.service(Session, createSessionService({ procedureRoles }));
    router.service(
      Health,
      createHealthService(
        deps.health,
        served.map((s) => s.typeName),
      ),
    );
    const descriptors = createDescriptorIndex(served);
    router.service(ReflectionV1, createReflectionService<typeof ReflectionV1>(descriptors));
    router.service(ReflectionV1Alpha, createReflectionService<typeof ReflectionV1Alpha>(descriptors));
  };
}
