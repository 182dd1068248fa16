/** Which host-power options (privileged, host network, bind mounts, capabilities) a server allows. */
import type { ContainerSpec } from "../../engine/types.js";
import { DockhandError } from "../../model/dockhand-error.js";
import { allCapabilities } from "../../model/linux-names.js";
import { quote } from "../../model/quote.js";

/**
 * Which options that give a container power over the host the server lets clients use. The
 * server's config carries these settings; by default every one of them is off.
 */
export interface HostAccessPolicy {
  /** Allow `host_access.privileged`. Default false. */
  allowPrivileged: boolean;
  /** Allow `host_access.host_network`. Default false. */
  allowHostNetwork: boolean;
  /** Allow mounts with a `host_path` (bind mounts). Default false. */
  allowHostMounts: boolean;
  /** Capabilities `host_access.add_capabilities` may name, without `CAP_`; `ALL` allows any. Default none. */
  allowedCapabilities: readonly string[];
}

function denied(field: string, what: string, setting: string): DockhandError {
  return new DockhandError(
    "PermissionDenied",
    `${field}: ${what} is not allowed by this server (set ${setting} in its config to allow it)`,
    { details: { field } },
  );
}

/** Throws PermissionDenied naming the first option of `spec` that the policy does not allow. */
export function checkHostAccess(spec: ContainerSpec, policy: HostAccessPolicy, prefix = "spec."): void {
  const access = spec.hostAccess;
  if (access?.privileged && !policy.allowPrivileged) {
    throw denied(`${prefix}host_access.privileged`, "a privileged container", "dockhand.allow_privileged");
  }
  if (access?.hostNetwork && !policy.allowHostNetwork) {
    throw denied(`${prefix}host_access.host_network`, "the host's network", "dockhand.allow_host_network");
  }
  spec.mounts?.forEach((mount, i) => {
    if (mount.type === "bind" && !policy.allowHostMounts) {
      throw denied(
        `${prefix}mounts[${i}].host_path`,
        `mounting host path ${quote(mount.source)}`,
        "dockhand.allow_host_mounts",
      );
    }
  });
  const allowed = new Set(policy.allowedCapabilities);
  access?.addCapabilities.forEach((capability, i) => {
    if (!allowed.has(allCapabilities) && !allowed.has(capability)) {
      throw denied(
        `${prefix}host_access.add_capabilities[${i}]`,
        `adding capability ${capability}`,
        "dockhand.allowed_capabilities",
      );
    }
  });
}
