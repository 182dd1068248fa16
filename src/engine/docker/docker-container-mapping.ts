import type Docker from "dockerode";
import { toDetails } from "./docker-mapping.js";
import type { ContainerDescription, MountSpec, RestartMode } from "../types.js";

function restartMode(name: string | undefined): RestartMode {
  return name === "always" || name === "on-failure" || name === "unless-stopped" ? name : "no";
}

/** The engine reports capabilities as given; dockhand speaks of them without `CAP_`. */
function capabilityName(raw: string): string {
  return raw.toUpperCase().replace(/^CAP_/, "");
}

function mountsOf(info: Docker.ContainerInspectInfo): MountSpec[] {
  const mounts: MountSpec[] = [];
  for (const mount of info.Mounts ?? []) {
    if (mount.Type !== "bind" && mount.Type !== "volume") continue;
    mounts.push({
      target: mount.Destination,
      type: mount.Type,
      source: mount.Type === "volume" ? (mount.Name ?? "") : mount.Source,
      readOnly: !mount.RW,
    });
  }
  return mounts;
}

export function toDescription(info: Docker.ContainerInspectInfo): ContainerDescription {
  const host = info.HostConfig ?? {};
  // StopTimeout is part of the engine's answer but missing from the typings.
  const config = info.Config as Docker.ContainerInspectInfo["Config"] & { StopTimeout?: number | null };
  const capAdd: unknown = host.CapAdd;
  return {
    ...toDetails(info),
    memoryBytes: host.Memory ?? 0,
    nanoCpus: host.NanoCpus ?? 0,
    restart: { mode: restartMode(host.RestartPolicy?.Name), maxRetries: host.RestartPolicy?.MaximumRetryCount ?? 0 },
    init: host.Init === true,
    stopGraceSeconds: typeof config.StopTimeout === "number" ? config.StopTimeout : undefined,
    hostAccess: {
      privileged: host.Privileged === true,
      hostNetwork: host.NetworkMode === "host",
      addCapabilities: Array.isArray(capAdd) ? capAdd.map((cap) => capabilityName(String(cap))) : [],
    },
    mounts: mountsOf(info),
  };
}
