import type { ServiceImpl } from "@connectrpc/connect";
import type { ServiceRegistry as Registry } from "../registry/service-registry.js";
import type { RollingUpdater } from "../scaler/rolling-updater.js";
import type { Scaler } from "../scaler/service-scaler.js";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { definitionFromProto, serviceToProto, updatePolicyFromProto } from "./service-mapping.js";

export interface ServiceRegistryServiceDeps {
  registry: Registry;
  scaler: Pick<Scaler, "deleteService">;
  updater: Pick<RollingUpdater, "run">;
}

export function createServiceRegistryService({ registry, scaler, updater }: ServiceRegistryServiceDeps): ServiceImpl<typeof ServiceRegistry> {
  return {
    listServices() {
      return { services: registry.list().map(serviceToProto) };
    },
    getService(req) {
      return { service: serviceToProto(registry.get(req.name)) };
    },
    async createService(req) {
      const def = definitionFromProto(req.service);
      return { service: serviceToProto(await registry.create(def, updatePolicyFromProto(req.service?.updateConfig))) };
    },
    async updateService(req) {
      const { service, created } = await registry.update(definitionFromProto(req.service), {
        expectedVersion: Number(req.service?.version ?? 0n),
        allowMissing: req.allowMissing,
        updatePolicy: updatePolicyFromProto(req.service?.updateConfig),
      });
      // The rolling update runs in the background; its progress shows in the status.
      if (service.rollout?.state === "updating") void updater.run(service.definition.name);
      return { service: serviceToProto(service), created };
    },
    async deleteService(req) {
      registry.get(req.name);
      return { removedContainers: await scaler.deleteService(req.name, req.force) };
    },
  };
}
