import { DockhandError, invalidArgument, isDockhandError } from "../../model/dockhand-error.js";
import type { NetworkControl } from "../../engine/network-control.js";
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
    throw sharedNamespaceDenied(`${prefix}networks[${i}]`, network);
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

function sharedNamespaceDenied(field: string, network: string): DockhandError {
  return new DockhandError(
    "PermissionDenied",
    `${field}: ${quote(network)} shares another network namespace, which is not allowed by this server (set dockhand.allow_host_network in its config to allow it)`,
    { details: { field } },
  );
}

/**
 * The engine also knows a network by its id (or an unambiguous id prefix): the host network
 * named so must be refused as `host` is (PermissionDenied), and the default bridge or `none`
 * as they are by name. Each network the engine has is read; one it does not have is made later.
 */
export async function checkResolvedNetworks(
  def: ServiceDefinition,
  networks: Pick<NetworkControl, "inspect">,
  policy: Pick<HostAccessPolicy, "allowHostNetwork">,
  prefix = "service.",
): Promise<void> {
  for (const [i, network] of (def.networks ?? []).entries()) {
    if (isSharedNetworkMode(network)) continue;
    const details = await networks.inspect(network).catch((err: unknown) => {
      if (isDockhandError(err, "NotFound") || isDockhandError(err, "InvalidArgument")) return undefined;
      throw err;
    });
    if (!details || details.name === network) continue;
    const field = `${prefix}networks[${i}]`;
    if (details.driver === "host" || details.name === "host") {
      if (!policy.allowHostNetwork) throw sharedNamespaceDenied(field, network);
      throw invalidArgument(field, `${quote(network)} is the host network's id; write "host"`);
    }
    if (details.driver === "null" || details.name === "bridge" || details.name === "none") {
      throw invalidArgument(
        field,
        `${quote(network)} is the id of ${quote(details.name)}, which has no DNS for the service's name; name a network of your own, or leave networks empty for the default bridge`,
      );
    }
  }
}
