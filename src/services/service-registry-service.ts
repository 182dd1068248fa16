import type { ServiceImpl } from "@connectrpc/connect";
import type { ServiceRegistry as Registry } from "../registry/service-registry.js";
import type { Scaler } from "../scaler/service-scaler.js";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { definitionFromProto, serviceToProto } from "./service-mapping.js";

export function createServiceRegistryService(registry: Registry, scaler: Scaler): ServiceImpl<typeof ServiceRegistry> {
  return {
    listServices() {
      return { services: registry.list().map(serviceToProto) };
    },
    getService(req) {
      return { service: serviceToProto(registry.get(req.name)) };
    },
    async createService(req) {
      return { service: serviceToProto(await registry.create(definitionFromProto(req.service))) };
    },
    async updateService(req) {
      const { service, created } = await registry.update(definitionFromProto(req.service), {
        expectedVersion: Number(req.service?.version ?? 0n),
        allowMissing: req.allowMissing,
      });
      return { service: serviceToProto(service), created };
    },
    async deleteService(req) {
      registry.get(req.name);
      return { removedContainers: await scaler.deleteService(req.name, req.force) };
    },
  };
}
