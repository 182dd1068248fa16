import type { KeyedLock } from "../lib/keyed-lock.js";
import type { StoredService } from "../model/service-definition.js";
import type {
  OrchestratorKind,
  OrphanView,
  ScaleOptions,
  ServiceLogLine,
  ServiceLogOptions,
  UnusedVolume,
} from "./orchestrator.js";
import type { ServiceStatusView } from "./service-status.js";

/**
 * What only a backend can do: make the engine (or the swarm) run what the registry says, and
 * say what runs. Every decision that does not depend on where containers run is the service
 * controller's (`service-controller.ts`): the replica check, last-Scale-wins, the delete rule,
 * the status cache and watches, and when a rollout starts. A new backend writes these verbs only.
 */
export interface ServiceBackend {
  readonly kind: OrchestratorKind;
  /** Reads what runs and starts keeping it; resolves once `observe` can be trusted. */
  start(): Promise<void>;
  /** Stops acting on changes; resolves once the work under way has ended. */
  close(): Promise<void>;

  /** Refuses, with FailedPrecondition naming the field, a count this backend cannot run of this definition. */
  checkRunnable(stored: StoredService, replicas: number): void;
  /**
   * Makes what runs match `stored` (its definition at its desired count): one pass, under the
   * service's lock. `current` turns false once a later Scale superseded this one; a pass stops
   * making containers then. Fails with the progress it reached.
   */
  converge(stored: StoredService, current: () => boolean): Promise<void>;
  /** After `converge`: resolves when `desired()` run (or are ready, as `options.waitFor` says). */
  awaitScaled(name: string, desired: () => number, options: ScaleOptions, superseded: () => boolean): Promise<void>;
  /** What runs of a service now, with where each container runs and its health. */
  observe(name: string): Promise<ServiceStatusView>;
  /** Names a service whose observed state may have changed (containers, failures, drift). */
  onChange(listener: (service: string) => void): () => void;
  /** True while `observe` answers from memory that matches what runs. */
  isTrusted(): boolean;
  /** How many containers of the service run now, read fresh (the delete rule counts them). */
  runningCount(name: string): Promise<number>;
  /** Removes every container of a service being deleted; resolves with how many went. */
  remove(stored: StoredService): Promise<number>;
  /** The registry recorded a rollout of `name` (a new definition, or a rollback): carry it out in the background. */
  rollOut(name: string): void;
  logs(name: string, options: ServiceLogOptions): AsyncIterable<ServiceLogLine>;
  purgeVolumes(name: string): Promise<string[]>;
  unusedVolumes(): Promise<UnusedVolume[]>;
  orphans(): Promise<OrphanView[]>;
  resync(): Promise<void>;
}

/** What a backend is built with from the controller: the per-service lock every change of a service takes. */
export interface BackendShared {
  lock: KeyedLock;
}
