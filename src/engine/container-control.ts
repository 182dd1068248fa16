import type { CommitOptions, ContainerDescription, ExitResult, ImageDetails } from "./types.js";

/**
 * Direct control of single containers, beyond what the scaler needs (see CoreEngine for list,
 * create, start, stop and remove). Errors are DockhandError with the engine's kind: NotFound
 * for a missing container, Conflict when its state does not allow the operation.
 */
export interface ContainerControl {
  /** Inspect, with the configuration the container was created with. */
  describeContainer(id: string, signal?: AbortSignal): Promise<ContainerDescription>;
  /**
   * Describes each container, in order. One that is removed in the meantime (NotFound) is left
   * out rather than failing the whole call, since lists go stale between two engine calls.
   */
  describeContainers(ids: readonly string[], signal?: AbortSignal): Promise<ContainerDescription[]>;
  /** Stops (stop signal, SIGKILL after `graceSeconds`) and starts the same container. */
  restartContainer(id: string, graceSeconds: number, signal?: AbortSignal): Promise<void>;
  /** Sends `killSignal` (e.g. `SIGKILL`) to the main process. Conflict when it is not running. */
  killContainer(id: string, killSignal: string, signal?: AbortSignal): Promise<void>;
  /** Conflict when it is not running or already paused. */
  pauseContainer(id: string, signal?: AbortSignal): Promise<void>;
  /** Conflict when it is not paused. */
  unpauseContainer(id: string, signal?: AbortSignal): Promise<void>;
  /** Resolves when the container is not running, at once when it already is not. */
  waitContainer(id: string, signal?: AbortSignal): Promise<ExitResult>;
  /** `docker commit`: the container's file system as a new image, returned inspected. */
  commitContainer(id: string, options: CommitOptions, signal?: AbortSignal): Promise<ImageDetails>;
}
