import { DockhandError } from "../../model/dockhand-error.js";
import { quote } from "../../model/quote.js";
import type { ServiceDefinition } from "../../model/service-definition.js";
import type { HostAccessPolicy } from "../container-agent/host-access-policy.js";
import { isSharedNetworkMode } from "../../model/workload-rules.js";

/**
 * Throws PermissionDenied when a definition uses host power the server does not allow, as
 * ContainerAgent does: a bind mount of a host path needs `dockhand.allow_host_mounts`; the
 * host's or another container's network needs `dockhand.allow_host_network`.
 */
export function checkDefinitionHostAccess(
  def: ServiceDefinition,
  policy: Pick<HostAccessPolicy, "allowHostMounts" | "allowHostNetwork">,
  prefix = "service.",
): void {
  (def.networks ?? []).forEach((network, i) => {
    if (!isSharedNetworkMode(network) || policy.allowHostNetwork) return;
    const field = `${prefix}networks[${i}]`;
    throw new DockhandError(
      "PermissionDenied",
      `${field}: ${quote(network)} shares another network namespace, which is not allowed by this server (set dockhand.allow_host_network in its config to allow it)`,
      { details: { field } },
    );
  });
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
