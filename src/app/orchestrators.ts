import type { Logger } from "pino";
import type { Engine } from "../engine/engine.js";
import type { ContainerStore, EngineReachability } from "../engine/store/container-store.js";
import { createLocalOrchestrator } from "../orchestrator/local/local-orchestrator.js";
import { lastLogLine } from "../orchestrator/local/last-log-line.js";
import type { Orchestrator } from "../orchestrator/orchestrator.js";
import { createSwarmOrchestrator } from "../orchestrator/swarm/swarm-orchestrator.js";
import { createDockerSwarm } from "../engine/docker/docker-swarm.js";
import type { SecretStore } from "../registry/secret-store.js";
import type { ServiceRegistry } from "../registry/service-registry.js";
import type { Config } from "./config.js";

export interface OrchestratorDeps {
  config: Config;
  engine: Engine;
  store: ContainerStore;
  registry: ServiceRegistry;
  secrets: SecretStore;
  instance: string;
  health: EngineReachability;
  logger: Logger;
  /** Times, counts and logs every call of an engine client, as the container engine's are. */
  instrument: <E extends object>(engine: E) => E;
}

/** The backend the settings ask for, built from the process's shared parts. */
export function createOrchestrator(deps: OrchestratorDeps): Orchestrator {
  const { config, engine } = deps;
  if (config.orchestrator === "swarm") {
    const swarm = createSwarmOrchestrator({
      // Built as the container engine is: the same default deadline, metrics and debug lines.
      swarm: deps.instrument(
        createDockerSwarm({
          url: config.dockerUrl,
          certPath: config.dockerCertPath || undefined,
          callTimeoutMs: config.engineCallTimeoutMs,
        }),
      ),
      registry: deps.registry,
      instance: deps.instance,
      logger: deps.logger,
      maxReplicas: config.maxReplicas,
      orphanGraceMs: config.orphanGraceMs,
      secrets: deps.secrets,
    });
    // The server starts the store after the orchestrator: an engine that is no manager stops
    // start-up before anything runs.
    return swarm;
  }
  return createLocalOrchestrator({
    engine,
    store: deps.store,
    registry: deps.registry,
    instance: deps.instance,
    logger: deps.logger,
    reachability: deps.health,
    secrets: deps.secrets,
    lastLogLine: (id) => lastLogLine(engine, id),
    concurrency: config.scaleConcurrency,
    maxReplicas: config.maxReplicas,
    resyncIntervalMs: config.resyncIntervalMs,
    orphanGraceMs: config.orphanGraceMs,
  });
}
