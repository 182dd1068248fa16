import { DockhandError } from "../errors/dockhand-error.js";
import { quote } from "../errors/quote.js";
import type { ServiceDefinition } from "../registry/service-definition.js";
import type { HostAccessPolicy } from "./host-access-policy.js";

/**
 * Throws PermissionDenied when a definition uses host power the server does not allow: a bind
 * mount of a host path needs `dockhand.allow_host_mounts`, as ContainerAgent's mounts do.
 */
export function checkDefinitionHostAccess(def: ServiceDefinition, policy: Pick<HostAccessPolicy, "allowHostMounts">, prefix = "service."): void {
  (def.mounts ?? []).forEach((mount, i) => {
    if (mount.type !== "bind" || policy.allowHostMounts) return;
    const field = `${prefix}mounts[${i}].source`;
    throw new DockhandError(
      "PermissionDenied",
      `${field}: mounting host path ${quote(mount.source)} is not allowed by this server (set dockhand.allow_host_mounts in its config to allow it)`,
      { details: { field } },
    );
  });
}
