import type { PortProtocol } from "../model/container-options.js";

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
  /** The logs of every task of a service, merged by the manager. */
  serviceLogs(id: string, options: ServiceLogsOptions): AsyncIterable<ServiceLogLine>;
  /** Service, node and container events of the manager, reconnecting after a loss. */
  events(signal: AbortSignal): AsyncIterable<SwarmEventItem>;
}
