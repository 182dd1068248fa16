import type { HealthCheckSpec, PortProtocol } from "../model/container-options.js";

/**
 * The Docker Swarm mode API that the swarm orchestrator drives, in domain types: services,
 * their tasks, the nodes, service logs and the manager's events. Implemented over dockerode in
 * `docker/docker-swarm.ts`. Every non-streaming call has a deadline when the caller gives no
 * signal; streams end when their signal aborts.
 */

/** Swarm's update and rollback configs, field for field as dockhand's UpdatePolicy. */
export interface SwarmUpdateConfig {
  parallelism: number;
  delayMs: number;
  order: "stop-first" | "start-first";
  monitorMs: number;
  failureAction: "pause" | "continue" | "rollback";
}

export type SwarmRestartCondition = "none" | "on-failure" | "any";

/** A mount of each task's container; a volume's `source` may hold Swarm's `{{.Task.Slot}}`. */
export interface SwarmMount {
  type: "volume" | "tmpfs" | "bind";
  source: string;
  target: string;
  readOnly: boolean;
  /** tmpfs only; 0: no limit. */
  tmpfsSizeBytes: number;
  /** Labels the node gives a volume it creates for the mount. */
  volumeLabels: Record<string, string>;
}

/** A network each task joins, by id, with the DNS names the task answers to on it. */
export interface SwarmNetworkAttachment {
  networkId: string;
  aliases: string[];
}

/** A Swarm secret or config given to each task as a file. */
export interface SwarmFileReference {
  /** The secret's or config's id and name in Swarm. */
  id: string;
  name: string;
  /** The file's path in the container (absolute). */
  target: string;
  uid: number;
  gid: number;
  mode: number;
}

/** A Swarm secret or config: its value is never read back. */
export interface SwarmFileObject {
  id: string;
  name: string;
  labels: Record<string, string>;
}

export interface SwarmNetwork {
  id: string;
  name: string;
  driver: string;
  scope: string;
  attachable: boolean;
  labels: Record<string, string>;
}

/** What a dockhand definition becomes in Swarm. */
export interface SwarmServiceSpec {
  name: string;
  /** The service's labels (dockhand.* ownership). */
  labels: Record<string, string>;
  image: string;
  command: string[];
  env: Record<string, string>;
  /** Labels of each task's container. */
  containerLabels: Record<string, string>;
  /** Published in host mode: each node that runs a task publishes it there. */
  ports: Array<{ containerPort: number; protocol: PortProtocol; hostPort: number }>;
  memoryBytes: number;
  nanoCpus: number;
  init: boolean;
  restart: { condition: SwarmRestartCondition; maxAttempts: number };
  stopGraceSeconds: number;
  replicas: number;
  update: SwarmUpdateConfig;
  rollback: SwarmUpdateConfig;
  mounts: SwarmMount[];
  /** The container's root file system is read-only. */
  readOnly: boolean;
  /** Undefined: the image's own. */
  healthCheck?: HealthCheckSpec;
  networks: SwarmNetworkAttachment[];
  secrets: SwarmFileReference[];
  configs: SwarmFileReference[];
}

/** Swarm's UpdateStatus.State. */
export type SwarmUpdateState =
  "updating" | "paused" | "completed" | "rollback_started" | "rollback_paused" | "rollback_completed";

export interface SwarmService {
  id: string;
  /** The spec's version: an update must name it, and fails if it moved on. */
  version: number;
  spec: SwarmServiceSpec;
  /** The spec before the last update (what a rollback returns to), when there was one. */
  previousSpec?: SwarmServiceSpec;
  updateStatus?: { state: SwarmUpdateState; message: string; startedAt?: Date; completedAt?: Date };
  createdAt: Date;
  updatedAt: Date;
}

/** Swarm's task states, in the order a task moves through them. */
export type SwarmTaskState =
  | "new"
  | "allocated"
  | "pending"
  | "assigned"
  | "accepted"
  | "preparing"
  | "ready"
  | "starting"
  | "running"
  | "complete"
  | "shutdown"
  | "failed"
  | "rejected"
  | "remove"
  | "orphaned";

export interface SwarmTask {
  id: string;
  serviceId: string;
  slot: number;
  /** Empty until the task is assigned. */
  nodeId: string;
  desiredState: SwarmTaskState;
  state: SwarmTaskState;
  message: string;
  error: string;
  /** Empty until the node created the container. */
  containerId: string;
  exitCode: number;
  /** Labels of the task's container, as its spec gave them. */
  containerLabels: Record<string, string>;
  /** Ports the node published in host mode. */
  ports: Array<{ containerPort: number; protocol: PortProtocol; hostPort: number }>;
  createdAt: Date;
  /** When the task reached its current state. */
  stateAt: Date;
}

export interface SwarmNodeInfo {
  id: string;
  hostname: string;
  state: "unknown" | "down" | "ready" | "disconnected";
  availability: "active" | "pause" | "drain";
  role: "worker" | "manager";
  address: string;
}

/** The engine's own view of the swarm it belongs to. */
export interface SwarmMembership {
  nodeId: string;
  state: "inactive" | "pending" | "active" | "error" | "locked";
  /** The engine is a manager: it can run services. */
  manager: boolean;
}

export interface SwarmEvent {
  type: "service" | "node" | "container";
  action: string;
  /** The service, node or container id. */
  id: string;
  attributes: Record<string, string>;
}

/** `connected` after each (re)connection: what happened in the gap is unknown, so resync. */
export type SwarmEventItem = { kind: "connected" } | { kind: "event"; event: SwarmEvent };

export interface ServiceLogLine {
  taskId: string;
  nodeId: string;
  stream: "stdout" | "stderr";
  line: string;
  /** Engine time of the line. */
  at: Date;
}

export interface ServiceLogsOptions {
  follow: boolean;
  /** Lines from the end per task; undefined: all. */
  tail?: number;
  signal?: AbortSignal;
}

export interface SwarmEngine {
  membership(signal?: AbortSignal): Promise<SwarmMembership>;
  services: {
    /** Services with all of these labels (`key=value` or `key`). */
    list(labels: readonly string[], signal?: AbortSignal): Promise<SwarmService[]>;
    /** NotFound when there is none of that id or name. */
    inspect(idOrName: string, signal?: AbortSignal): Promise<SwarmService>;
    /** AlreadyExists for a name in use. Never asks the manager to resolve the image's digest. */
    create(spec: SwarmServiceSpec, signal?: AbortSignal): Promise<string>;
    /**
     * Replaces the spec at `version`; Conflict (an out-of-sequence update) when the service
     * changed since. `rollback`: Swarm's own rollback to the previous spec.
     */
    update(
      id: string,
      version: number,
      spec: SwarmServiceSpec,
      options?: { rollback?: boolean; signal?: AbortSignal },
    ): Promise<void>;
    remove(id: string, signal?: AbortSignal): Promise<void>;
  };
  tasks: {
    /** Tasks of one service (id or name), or of every service with these labels. */
    list(query: { service?: string; labels?: readonly string[] }, signal?: AbortSignal): Promise<SwarmTask[]>;
  };
  nodes: {
    list(signal?: AbortSignal): Promise<SwarmNodeInfo[]>;
  };
  networks: {
    /** By name or id; NotFound when there is none. */
    inspect(idOrName: string, signal?: AbortSignal): Promise<SwarmNetwork>;
    /** An attachable overlay network; AlreadyExists for a name in use. Resolves with its id. */
    createOverlay(spec: { name: string; labels: Record<string, string> }, signal?: AbortSignal): Promise<string>;
    /** Those carrying each `key` or `key=value` label. */
    list(labels: readonly string[], signal?: AbortSignal): Promise<SwarmNetwork[]>;
    remove(id: string, signal?: AbortSignal): Promise<void>;
  };
  /** Swarm secrets; `configs` has the same shape. Values go in, never come out. */
  secrets: SwarmFileObjects;
  configs: SwarmFileObjects;
  /** The logs of every task of a service, merged by the manager. */
  serviceLogs(id: string, options: ServiceLogsOptions): AsyncIterable<ServiceLogLine>;
  /** Service, node and container events of the manager, reconnecting after a loss. */
  events(signal: AbortSignal): AsyncIterable<SwarmEventItem>;
}

export interface SwarmFileObjects {
  /** Those carrying each `key` or `key=value` label. */
  list(labels: readonly string[], signal?: AbortSignal): Promise<SwarmFileObject[]>;
  /** AlreadyExists for a name in use. Resolves with the id. */
  create(
    spec: { name: string; labels: Record<string, string>; data: Uint8Array },
    signal?: AbortSignal,
  ): Promise<string>;
  /** FailedPrecondition while a service uses it; NotFound when gone. */
  remove(id: string, signal?: AbortSignal): Promise<void>;
}
