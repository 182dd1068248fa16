import type { ServiceImpl } from "@connectrpc/connect";
import type { ServiceRegistry as Registry } from "../../registry/service-registry.js";
import type { Orchestrator } from "../../orchestrator/orchestrator.js";
import { ServiceRegistry } from "../../../gen/dockhand/v1/registry_pb.js";
import type { Service } from "../../../gen/dockhand/v1/service_pb.js";
import type { HostAccessPolicy } from "../container-agent/host-access-policy.js";
import { checkDefinitionHostAccess } from "./workload-access.js";
import type { SecretStore } from "../../registry/secret-store.js";
import { createSecretHandlers } from "./secret-handlers.js";
import { withFileVersions } from "../../registry/file-versions.js";
import { definitionFromProto, serviceToProto, updatePolicyFromProto } from "./service-mapping.js";

export interface ServiceRegistryServiceDeps {
  registry: Registry;
  orchestrator: Pick<Orchestrator, "deleteService" | "purgeVolumes">;
  /** Secrets and configs, mounted by definitions as files. */
  secrets: SecretStore;
  /** Which host-power options definitions may use (bind mounts). Default: none. */
  hostAccess?: Pick<HostAccessPolicy, "allowHostMounts" | "allowHostNetwork">;
}

export function createServiceRegistryService({
  registry,
  orchestrator,
  hostAccess,
  secrets,
}: ServiceRegistryServiceDeps): ServiceImpl<typeof ServiceRegistry> {
  const definition = (service: Service | undefined) => {
    const def = definitionFromProto(service);
    checkDefinitionHostAccess(def, {
      allowHostMounts: hostAccess?.allowHostMounts ?? false,
      allowHostNetwork: hostAccess?.allowHostNetwork ?? false,
    });
    return withFileVersions(def, secrets);
  };
  return {
    ...createSecretHandlers({ store: secrets, registry }),
    listServices() {
      return { services: registry.list().map(serviceToProto) };
    },
    getService(req) {
      return { service: serviceToProto(registry.get(req.name)) };
    },
    async createService(req) {
      const def = definition(req.service);
      return { service: serviceToProto(await registry.create(def, updatePolicyFromProto(req.service?.updateConfig))) };
    },
    async updateService(req) {
      const { service, created } = await registry.update(definition(req.service), {
        expectedVersion: Number(req.service?.version ?? 0n),
        allowMissing: req.allowMissing,
        updatePolicy: updatePolicyFromProto(req.service?.updateConfig),
      });
      // The rolling update, which the orchestrator starts on the registry's change, runs in
      // the background; its progress shows in the status.
      return { service: serviceToProto(service), created };
    },
    async deleteService(req) {
      registry.get(req.name);
      const removedContainers = await orchestrator.deleteService(req.name, req.force);
      return { removedContainers, removedVolumes: req.purgeVolumes ? await orchestrator.purgeVolumes(req.name) : [] };
    },
  };
}
