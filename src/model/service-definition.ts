import type { AutoscalePolicy } from "./autoscale-policy.js";
import type { HealthCheckSpec, PortProtocol, RestartMode } from "./container-options.js";

/** What each container of a service runs. Plain data: stored as JSON, compared by value. */
export interface ServiceDefinition {
  name: string;
  image: string;
  command: string[];
  environment: Record<string, string>;
  ports: Array<{ containerPort: number; protocol: PortProtocol; hostPort: number; hostIp: string }>;
  labels: Record<string, string>;
  stopGraceSeconds: number;
  init: boolean;
  restart: { mode: RestartMode; maxRetries: number };
  memoryBytes: number;
  /** Thousandths of a CPU; 0 = no limit. */
  cpuMillis: number;
  /** Replace a running container whose healthcheck reports unhealthy. */
  replaceUnhealthy: boolean;
  /** Unset: the image's own HEALTHCHECK. */
  healthCheck?: HealthCheckSpec;
  /** Unset: none. */
  mounts?: ServiceMount[];
  /** Unset: false. */
  readOnlyRootFs?: boolean;
  /** Networks joined with the service's name as an alias. Unset: the default bridge. */
  networks?: string[];
  /** Secrets mounted as files. Unset: none. */
  secrets?: FileMount[];
  /** Configs mounted as files. Unset: none. */
  configs?: FileMount[];
  /**
   * The version of each secret and config (`secret/<name>`, `config/<name>`) this definition's
   * containers mount, filled in by the registry service: a new value is a new definition, so
   * it rolls out as any change does, and a rollback mounts the old value again.
   */
  fileVersions?: Record<string, number>;
}

/** A secret or config mounted into each container as a file. */
export interface FileMount {
  name: string;
  /** Absolute path in the container. */
  target: string;
  mode: number;
  uid: number;
  gid: number;
}

/** A mount of every container of a service. */
export interface ServiceMount {
  type: "volume" | "tmpfs" | "bind";
  target: string;
  /** A volume's name, a host path, or empty for tmpfs. */
  source: string;
  /** A volume of its own per slot, named `<service>-<slot>-<source>`. */
  perSlot: boolean;
  readOnly: boolean;
  /** tmpfs only; 0: the engine's default. */
  tmpfsSizeBytes: number;
}

/** How a change of definition replaces running containers, in the manner of Swarm's UpdateConfig. */
export interface UpdatePolicy {
  /** Containers replaced at once. */
  parallelism: number;
  /** Pause between batches, in ms. */
  delayMs: number;
  /** stop-first: old container goes, then the new one starts; start-first: the reverse. */
  order: "stop-first" | "start-first";
  /** How long each new batch is watched; one that stops or turns unhealthy fails the update. */
  monitorMs: number;
  /** What a failed update does: stop where it is, or return to the previous definition. */
  failureAction: "pause" | "rollback";
  /** How long each new container must stay ready before its batch counts as done, in ms. */
  minHealthyMs: number;
  /** How long a batch may take to be ready for `minHealthyMs`, in ms. */
  healthyDeadlineMs: number;
  /** New containers started beside the old ones, and watched, before the rest are replaced (0: none). */
  canary: number;
  /** With canaries: go on by itself once every canary passed the health gate. */
  autoPromote: boolean;
  /** With canaries: on a canary's failure, remove them and return to the previous definition. */
  autoRevert: boolean;
}

/** `canary`: canaries run beside the old containers, waiting for promotion (or being watched). */
export type RolloutState = "updating" | "paused" | "rolling_back" | "rolled_back" | "completed" | "canary";

/** Progress of the latest change of definition through the running containers. */
export interface Rollout {
  state: RolloutState;
  message: string;
  fromVersion: number;
  toVersion: number;
  startedAt: string;
  endedAt?: string;
  /** Canaries this rollout places (or placed) beside the old containers; unset: none. */
  canary?: number;
  /** With canaries: promoted, by Scaler.Promote or `autoPromote` (the rest are being replaced). */
  promoted?: boolean;
  /**
   * A return to the definition of this version (a canary phase reverted): its containers are
   * current, and only the canaries go.
   */
  restores?: number;
}

/** Whether canaries run beside the old containers and none of the old ones was replaced yet. */
export function inCanaryPhase(rollout: Rollout | undefined): boolean {
  return !!rollout?.canary && !rollout.promoted && (rollout.state === "canary" || rollout.state === "paused");
}

/** A definition as the registry stores it, with its bookkeeping. */
export interface StoredService {
  definition: ServiceDefinition;
  /** Incremented on every change of the definition. */
  version: number;
  /** Desired number of running containers. */
  replicas: number;
  createdAt: string;
  updatedAt: string;
  updatePolicy: UpdatePolicy;
  /** The definition before the latest change, for Rollback. */
  previous?: { definition: ServiceDefinition; version: number };
  rollout?: Rollout;
  /** How the autoscaler follows load; unset: no autoscaling. Not part of the definition: changing it replaces no container. */
  autoscale?: AutoscalePolicy;
}

export const defaultUpdatePolicy: Readonly<UpdatePolicy> = Object.freeze({
  parallelism: 1,
  delayMs: 0,
  order: "stop-first",
  monitorMs: 5000,
  failureAction: "pause",
  minHealthyMs: 0,
  healthyDeadlineMs: 300_000,
  canary: 0,
  autoPromote: false,
  autoRevert: false,
});

export const defaultStopGraceSeconds = 10;

/** Fills the optional parts of a definition with their defaults. */
export function definitionWithDefaults(
  partial: Pick<ServiceDefinition, "name" | "image"> & Partial<ServiceDefinition>,
): ServiceDefinition {
  return {
    command: [],
    environment: {},
    ports: [],
    labels: {},
    stopGraceSeconds: defaultStopGraceSeconds,
    init: false,
    restart: { mode: "no", maxRetries: 0 },
    memoryBytes: 0,
    cpuMillis: 0,
    replaceUnhealthy: true,
    ...partial,
  };
}

/** Key-order-insensitive equality of two definitions. */
export function sameDefinition(a: ServiceDefinition, b: ServiceDefinition): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => x.localeCompare(y)))
      : v,
  );
}
