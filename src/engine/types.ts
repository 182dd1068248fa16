import type { HealthCheckSpec, PortProtocol, RestartMode } from "../model/container-options.js";

export type { HealthCheckSpec, PortProtocol, RestartMode };

/** Domain types of the engine module: no dockerode type leaks past `src/engine/`. */

export type ContainerStateName =
  "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead" | "unknown";

export type HealthName = "none" | "starting" | "healthy" | "unhealthy";

export interface PortRequest {
  containerPort: number;
  protocol: PortProtocol;
  /** 0: the engine picks a free port. */
  hostPort: number;
  /** Empty: all interfaces. */
  hostIp: string;
}

export interface PublishedPort {
  containerPort: number;
  protocol: PortProtocol;
  hostIp: string;
  hostPort: number;
}

export interface ContainerSpec {
  /** Empty: the engine makes up a name. */
  name?: string;
  image: string;
  /** Empty: the image's CMD. */
  command?: string[];
  env?: Record<string, string>;
  labels?: Record<string, string>;
  ports?: PortRequest[];
  init?: boolean;
  restart?: { mode: RestartMode; maxRetries: number };
  /** 0 or unset: no limit. */
  memoryBytes?: number;
  /** 0 or unset: no limit. 1e9 = one CPU. */
  nanoCpus?: number;
  /** Seconds between SIGTERM and SIGKILL on stop. Unset: the engine's default (10). */
  stopGraceSeconds?: number;
  /** Bind mounts and named volumes. Unset: none. */
  mounts?: MountSpec[];
  /** Options giving the container power over the host; the layers above decide if allowed. */
  hostAccess?: HostAccessSpec;
  /** Unset: the engine's (the id's first 12 characters). */
  hostname?: string;
  /** The MAC address on the default network, `02:42:ac:11:00:02`. Unset: the engine picks one. */
  macAddress?: string;
  /** Keep stdin open with nothing attached, as `docker run -i` does. */
  openStdin?: boolean;
  /** Unset: the image's HEALTHCHECK. */
  healthCheck?: HealthCheckSpec;
  /** Mount the container's root file system read-only. */
  readOnlyRootFs?: boolean;
  /** Networks to join instead of the default bridge, the first as the container's network mode. */
  networks?: NetworkAttachment[];
}

/** A health check in the engine's own form (the Dockerfile's HEALTHCHECK, Swarm's HealthConfig). */
export interface MountSpec {
  /** Absolute path inside the container. */
  target: string;
  /** "bind": `source` is a host path; "volume": `source` is a volume name; "tmpfs": memory, no source. */
  type: "bind" | "volume" | "tmpfs";
  source: string;
  readOnly: boolean;
  /** tmpfs only: its size limit. 0 or unset: the engine's default (half the host's memory). */
  tmpfsSizeBytes?: number;
}

/** A network a container joins, with the names it answers to there. */
export interface NetworkAttachment {
  network: string;
  /** DNS names of the container on that network, besides its own name. */
  aliases: string[];
}

export interface VolumeDetails {
  name: string;
  driver: string;
  labels: Record<string, string>;
  mountpoint: string;
  createdAt: Date | undefined;
}

export interface NetworkDetails {
  id: string;
  name: string;
  driver: string;
  scope: string;
  internal: boolean;
  labels: Record<string, string>;
  createdAt: Date | undefined;
  /** Containers attached, with their IPv4 address on the network (no prefix length). */
  containers: Array<{ id: string; name: string; ipv4: string }>;
}

export interface HostAccessSpec {
  privileged: boolean;
  hostNetwork: boolean;
  /** Capability names without the `CAP_` prefix, e.g. `NET_ADMIN`. */
  addCapabilities: string[];
}

export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  imageId: string;
  labels: Record<string, string>;
  state: ContainerStateName;
  /** The engine's human-readable status, e.g. "Up 3 minutes (healthy)". */
  status: string;
  createdAt: Date;
  ports: PublishedPort[];
}

export interface ContainerDetails extends ContainerSummary {
  health: HealthName;
  startedAt: Date | undefined;
  finishedAt: Date | undefined;
  exitCode: number;
  restartCount: number;
  /** Error the engine recorded for the last start, if any. */
  error: string;
  command: string[];
}

export interface ContainerQuery {
  /** Include containers that are not running. */
  all: boolean;
  /** Each entry `key` (label present) or `key=value`. */
  labels?: string[];
  /** Substring match on the name, as the engine's `name` filter. */
  name?: string;
}

export interface ImageDetails {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  sizeBytes: number;
  createdAt: Date;
}

/** A container with the configuration it was created with: what inspect tells beyond details. */
export interface ContainerDescription extends ContainerDetails {
  memoryBytes: number;
  /** 1e9 = one CPU. 0: no limit. */
  nanoCpus: number;
  restart: { mode: RestartMode; maxRetries: number };
  init: boolean;
  /** The container's own stop timeout. Undefined: the engine's default (10 s). */
  stopGraceSeconds: number | undefined;
  hostAccess: HostAccessSpec;
  mounts: MountSpec[];
}

export interface CommitOptions {
  repository: string;
  tag: string;
  message: string;
  author: string;
  /** Freeze the container while its file system is copied. */
  pause: boolean;
}

export interface ExitResult {
  exitCode: number;
  /** The engine's error about the exit; empty when none. */
  error: string;
}
