import type { VolumeDetails } from "../engine/types.js";
import type { RolloutOutcome } from "./rollout-outcome.js";
import type { ContainerStatusView, NodeRef, ServiceStatusView } from "./service-status.js";

/**
 * Which backend runs the services: `local` keeps the count itself on the one engine it is
 * connected to; `swarm` hands each definition to a Docker Swarm manager as a Swarm service.
 */
export type OrchestratorKind = "local" | "swarm";

export interface ScaleOptions {
  /** Return only when the count holds. Default true. */
  wait: boolean;
  /** Aborts the wait (not the work) when the caller gives up, e.g. at its deadline. */
  signal?: AbortSignal;
  /** With `wait`: return when the containers run (default), or when they are ready (healthy, or running with no check). */
  waitFor?: "running" | "ready";
}

/** One line of a service's merged logs. */
export interface ServiceLogLine {
  slot: number;
  containerId: string;
  /** The node the container runs on; absent on a single engine. */
  node?: NodeRef;
  stream: "stdout" | "stderr";
  line: string;
  at: Date;
  /** The line was cut at the cap (64 KiB): the next line of this container and stream goes on with it. */
  continued?: boolean;
}

export interface ServiceLogOptions {
  /** Keep streaming new lines until `signal` aborts. */
  follow: boolean;
  /** Only the last N lines of each container. Undefined: all. */
  tail?: number;
  signal: AbortSignal;
}

/** A container with this dockhand's labels whose service has no definition. */
export interface OrphanView {
  service: string;
  container: ContainerStatusView;
  firstSeen: Date;
  /** When it is removed, unless a definition of its service appears first. */
  removeAt: Date;
}

/** A volume this dockhand created whose service is gone or no longer mounts it. */
export interface UnusedVolume {
  volume: VolumeDetails;
  service: string;
  /** 0 for a shared volume. */
  slot: number;
}

/**
 * The seam between what clients ask of their services (the registry, the RPC handlers, the
 * seeds' routes) and what runs the containers. Definitions and desired counts live in the
 * registry; an orchestrator makes the engine match them and reports what runs.
 *
 * Operations may complete asynchronously: `scale` without `wait` and `rollOut` return at once,
 * and what follows shows in `status` and `watch`. Errors are `DockhandError`s, so every
 * backend answers a client's mistake with the same code and words.
 */
export interface Orchestrator {
  readonly kind: OrchestratorKind;
  /**
   * Reads what runs, resumes unfinished rollouts and starts keeping the count. Resolves once
   * status can be trusted.
   */
  start(): Promise<void>;
  /**
   * Stops acting on changes (healing, rollouts); resolves once the work under way has ended.
   * Calls still draining keep working: status answers until the engine's store closes.
   */
  close(): Promise<void>;

  /**
   * Records `replicas` as the service's desired count, then brings the containers to it. With
   * `wait`, resolves when that many run (or are ready), or fails with the progress reached.
   */
  scale(name: string, replicas: number, options: ScaleOptions): Promise<ServiceStatusView>;
  /** What runs of a service now, with where each container runs. NotFound for no definition. */
  status(name: string): Promise<ServiceStatusView>;
  /** The service's status now, then each time it changes, until `signal` aborts. */
  watch(name: string, signal: AbortSignal): AsyncIterable<ServiceStatusView>;
  /**
   * Tells `listener` the name of a service whose status may have changed, for any input status
   * reads: containers, the definition, failures and restart delays, the rollout.
   */
  onStatusChange(listener: (service: string) => void): () => void;
  /** True while status answers from memory that matches what runs (so an answer may be cached). */
  isTrusted(): boolean;
  /** The status cache's answer when it holds one that is still the answer; never reads (for the hot path). */
  peekStatus(name: string): ServiceStatusView | undefined;
  /** Resolves with how the rollout to `version` of a service ended; Timeout when `signal` aborts first. */
  awaitRollout(name: string, version: number, signal?: AbortSignal): Promise<RolloutOutcome>;

  /** Deletes a service; with `force`, scales it to 0 first. Resolves with how many containers went. */
  deleteService(name: string, force: boolean): Promise<number>;
  /** Removes the volumes this dockhand created for a service (one in use stays); returns their names. */
  purgeVolumes(name: string): Promise<string[]>;
  unusedVolumes(): Promise<UnusedVolume[]>;
  orphans(): Promise<OrphanView[]>;
  /**
   * The logs of every container of the service (those there when the call starts), merged,
   * each line with its slot and node; without `follow`, oldest first. NotFound for no definition.
   */
  serviceLogs(name: string, options: ServiceLogOptions): AsyncIterable<ServiceLogLine>;
  /** One full pass now: read again what runs and restore every service's desired count and definition. */
  resync(): Promise<void>;
}
