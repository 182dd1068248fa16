import type { HealthCheckSpec } from "../../model/container-options.js";
import type { SwarmFileReference, SwarmMount, SwarmNetworkAttachment, SwarmServiceSpec } from "../swarm.js";

/** The workload parts of a Swarm ContainerSpec, as the API's JSON has them. */
export interface DockerSwarmMount {
  Type?: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  VolumeOptions?: { Labels?: Record<string, string> };
  TmpfsOptions?: { SizeBytes?: number };
}

export interface DockerHealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
}

interface DockerFileReference {
  File?: { Name?: string; UID?: string; GID?: string; Mode?: number };
  SecretID?: string;
  SecretName?: string;
  ConfigID?: string;
  ConfigName?: string;
}

export interface DockerWorkloadContainer {
  Mounts?: DockerSwarmMount[];
  ReadOnly?: boolean;
  Healthcheck?: DockerHealthConfig;
  Secrets?: DockerFileReference[];
  Configs?: DockerFileReference[];
}

export interface DockerNetworkAttachment {
  Target?: string;
  Aliases?: string[];
}

const nsPerMs = 1_000_000;

function toDockerMount(mount: SwarmMount): DockerSwarmMount {
  return {
    Type: mount.type,
    Source: mount.type === "tmpfs" ? "" : mount.source,
    Target: mount.target,
    ReadOnly: mount.readOnly,
    ...(mount.type === "volume" ? { VolumeOptions: { Labels: mount.volumeLabels } } : {}),
    ...(mount.type === "tmpfs" && mount.tmpfsSizeBytes > 0
      ? { TmpfsOptions: { SizeBytes: mount.tmpfsSizeBytes } }
      : {}),
  };
}

function fromDockerMount(mount: DockerSwarmMount): SwarmMount {
  return {
    type: (mount.Type ?? "volume") as SwarmMount["type"],
    source: mount.Source ?? "",
    target: mount.Target ?? "",
    readOnly: mount.ReadOnly ?? false,
    tmpfsSizeBytes: mount.TmpfsOptions?.SizeBytes ?? 0,
    volumeLabels: mount.VolumeOptions?.Labels ?? {},
  };
}

/** The engine leaves out a timing that is 0 (its default), so 0 and absent read back alike. */
export function toDockerHealth(check: HealthCheckSpec): DockerHealthConfig {
  return {
    Test: check.test,
    ...(check.intervalMs ? { Interval: check.intervalMs * nsPerMs } : {}),
    ...(check.timeoutMs ? { Timeout: check.timeoutMs * nsPerMs } : {}),
    ...(check.retries ? { Retries: check.retries } : {}),
    ...(check.startPeriodMs ? { StartPeriod: check.startPeriodMs * nsPerMs } : {}),
  };
}

function fromDockerHealth(check: DockerHealthConfig): HealthCheckSpec {
  return {
    test: check.Test ?? [],
    intervalMs: (check.Interval ?? 0) / nsPerMs,
    timeoutMs: (check.Timeout ?? 0) / nsPerMs,
    retries: check.Retries ?? 0,
    startPeriodMs: (check.StartPeriod ?? 0) / nsPerMs,
  };
}

function toDockerFile(ref: SwarmFileReference, kind: "Secret" | "Config"): DockerFileReference {
  return {
    File: { Name: ref.target, UID: String(ref.uid), GID: String(ref.gid), Mode: ref.mode },
    [`${kind}ID`]: ref.id,
    [`${kind}Name`]: ref.name,
  };
}

function fromDockerFile(ref: DockerFileReference, kind: "Secret" | "Config"): SwarmFileReference {
  return {
    id: (kind === "Secret" ? ref.SecretID : ref.ConfigID) ?? "",
    name: (kind === "Secret" ? ref.SecretName : ref.ConfigName) ?? "",
    target: ref.File?.Name ?? "",
    uid: Number(ref.File?.UID ?? 0),
    gid: Number(ref.File?.GID ?? 0),
    mode: ref.File?.Mode ?? 0o444,
  };
}

type Workload = Pick<SwarmServiceSpec, "mounts" | "readOnly" | "healthCheck" | "networks" | "secrets" | "configs">;

/** The ContainerSpec fields and the task's networks of a spec's workload parts. */
export function toDockerWorkload(spec: Workload): {
  container: DockerWorkloadContainer;
  networks: DockerNetworkAttachment[];
} {
  return {
    container: {
      Mounts: spec.mounts.map(toDockerMount),
      ReadOnly: spec.readOnly,
      ...(spec.healthCheck ? { Healthcheck: toDockerHealth(spec.healthCheck) } : {}),
      Secrets: spec.secrets.map((ref) => toDockerFile(ref, "Secret")),
      Configs: spec.configs.map((ref) => toDockerFile(ref, "Config")),
    },
    networks: spec.networks.map((n) => ({ Target: n.networkId, Aliases: n.aliases })),
  };
}

export function fromDockerWorkload(
  container: DockerWorkloadContainer,
  networks: DockerNetworkAttachment[] | undefined,
): Workload {
  return {
    mounts: (container.Mounts ?? []).map(fromDockerMount),
    readOnly: container.ReadOnly ?? false,
    ...(container.Healthcheck ? { healthCheck: fromDockerHealth(container.Healthcheck) } : {}),
    networks: (networks ?? []).map((n): SwarmNetworkAttachment => ({
      networkId: n.Target ?? "",
      aliases: n.Aliases ?? [],
    })),
    secrets: (container.Secrets ?? []).map((ref) => fromDockerFile(ref, "Secret")),
    configs: (container.Configs ?? []).map((ref) => fromDockerFile(ref, "Config")),
  };
}
