import type { ServiceImpl } from "@connectrpc/connect";
import type { ServiceRegistry as Registry } from "../../registry/service-registry.js";
import type { Orchestrator } from "../../orchestrator/orchestrator.js";
import { ServiceRegistry } from "../../../gen/dockhand/v1/registry_pb.js";
import type { Service } from "../../../gen/dockhand/v1/service_pb.js";
import type { HostAccessPolicy } from "../container-agent/host-access-policy.js";
import { checkDefinitionHostAccess, checkResolvedNetworks } from "./workload-access.js";
import type { NetworkControl } from "../../engine/network-control.js";
import { checkVolumeClashes } from "../../model/volume-names.js";
import { nodeVolumesOutOfReach } from "../../orchestrator/swarm/swarm-service-spec.js";
import type { SecretStore } from "../../registry/secret-store.js";
import { createSecretHandlers } from "./secret-handlers.js";
import { withFileVersions } from "../../registry/file-versions.js";
import { autoscaleFromProto } from "./autoscale-mapping.js";
import { hasFixedHostPort } from "../../model/definition-rules.js";
import type { ServiceDefinition } from "../../model/service-definition.js";
import { definitionFromProto, serviceToProto, updatePolicyFromProto } from "./service-mapping.js";
import { DockhandError } from "../../model/dockhand-error.js";
import { quote } from "../../model/quote.js";

export interface ServiceRegistryServiceDeps {
  registry: Registry;
  orchestrator: Pick<Orchestrator, "deleteService" | "purgeVolumes" | "awaitRollout"> &
    Partial<Pick<Orchestrator, "kind">>;
  /** Secrets and configs, mounted by definitions as files. */
  secrets: SecretStore;
  /** Which host-power options definitions may use (bind mounts). Default: none. */
  hostAccess?: Pick<HostAccessPolicy, "allowHostMounts" | "allowHostNetwork">;
  /** The engine's networks, to know one named by its id. Unset: names are taken as written. */
  networks?: Pick<NetworkControl, "inspect">;
  /** Refuses, naming the field, what the server's orchestrator cannot run (on swarm: what only local can). */
  orchestratorRules?: (def: ServiceDefinition) => void;
  /** What autoscaling policies are checked against. Default: 100 replicas, no Prometheus. */
  autoscaleLimits?: { maxReplicas: number; prometheusUrl: string };
}

export function createServiceRegistryService({
  registry,
  orchestrator,
  hostAccess,
  secrets,
  networks,
  orchestratorRules,
  autoscaleLimits,
}: ServiceRegistryServiceDeps): ServiceImpl<typeof ServiceRegistry> {
  const definition = async (service: Service | undefined) => {
    const def = definitionFromProto(service);
    const policy = {
      allowHostMounts: hostAccess?.allowHostMounts ?? false,
      allowHostNetwork: hostAccess?.allowHostNetwork ?? false,
    };
    checkDefinitionHostAccess(def, policy);
    orchestratorRules?.(def);
    // The registry checks again as it stores (a race); here the field is named as the client wrote it.
    checkVolumeClashes(
      def,
      registry.list().map((s) => s.definition),
      "service.",
    );
    if (networks) await checkResolvedNetworks(def, networks, policy);
    return withFileVersions(def, secrets);
  };
  const autoscale = (service: Service | undefined, def: ServiceDefinition) =>
    autoscaleFromProto(service?.autoscale, {
      maxReplicas: autoscaleLimits?.maxReplicas ?? 100,
      prometheus: (autoscaleLimits?.prometheusUrl ?? "") !== "",
      fixedHostPort: hasFixedHostPort(def),
    });
  /** The update policy a request asks for; canaries need containers dockhand places itself (local). */
  const updatePolicyOf = (service: Service | undefined) => {
    const policy = updatePolicyFromProto(service?.updateConfig);
    if (policy && policy.canary > 0 && orchestrator.kind === "swarm") {
      throw new DockhandError(
        "FailedPrecondition",
        "canaries run on the local backend only: the Swarm backend replaces a service's tasks itself (set canary to 0)",
        { details: { field: "service.update_config.canary" } },
      );
    }
    return policy;
  };
  /** Waits for the rollout to `version`, and fails as a script needs when it did not complete. */
  async function rolloutEnded(name: string, version: number, signal: AbortSignal): Promise<void> {
    const outcome = await orchestrator.awaitRollout(name, version, signal);
    if (outcome.kind === "completed") return;
    if (outcome.kind === "deleted")
      throw new DockhandError("NotFound", `service ${quote(name)} was deleted before its rollout ended`);
    if (outcome.kind === "superseded")
      throw new DockhandError(
        "Aborted",
        `the rollout of service ${quote(name)} to version ${version} was superseded by version ${outcome.byVersion}`,
      );
    throw new DockhandError(
      "FailedPrecondition",
      outcome.state === "rolled_back"
        ? `the rollout of service ${quote(name)} to version ${version} failed and was rolled back: ${outcome.message}`
        : `the rollout of service ${quote(name)} to version ${version} paused: ${outcome.message}`,
      { details: { field: "service" } },
    );
  }

  return {
    ...createSecretHandlers({ store: secrets, registry }),
    listServices() {
      return { services: registry.list().map(serviceToProto) };
    },
    getService(req) {
      return { service: serviceToProto(registry.get(req.name)) };
    },
    async createService(req) {
      const def = await definition(req.service);
      const updatePolicy = updatePolicyOf(req.service);
      const policy = autoscale(req.service, def) ?? undefined;
      return { service: serviceToProto(await registry.create(def, updatePolicy, policy)) };
    },
    async updateService(req, ctx) {
      const def = await definition(req.service);
      const { service, created } = await registry.update(def, {
        expectedVersion: Number(req.service?.version ?? 0n),
        allowMissing: req.allowMissing,
        updatePolicy: updatePolicyOf(req.service),
        autoscale: autoscale(req.service, def),
      });
      // The rolling update, which the orchestrator starts on the registry's change, runs in
      // the background; its progress shows in the status. Asked to, the answer waits for it.
      if (req.waitForRollout) await rolloutEnded(service.definition.name, service.version, ctx.signal);
      return { service: serviceToProto(service), created };
    },
    async deleteService(req) {
      registry.get(req.name);
      // Refused before anything is deleted: the swarm backend cannot reach the nodes' volumes.
      if (req.purgeVolumes && orchestrator.kind === "swarm") throw nodeVolumesOutOfReach("purge_volumes");
      const removedContainers = await orchestrator.deleteService(req.name, req.force);
      return { removedContainers, removedVolumes: req.purgeVolumes ? await orchestrator.purgeVolumes(req.name) : [] };
    },
  };
}
