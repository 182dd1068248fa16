/** The containers group of the Engine: the lifecycle of single containers (their streams are in container-streams.ts). */
import type { ContainerFile } from "./tar-writer.js";
import type {
  CommitOptions,
  ContainerDescription,
  ContainerDetails,
  ContainerQuery,
  ContainerSpec,
  ContainerSummary,
  ExitResult,
  ImageDetails,
} from "./types.js";

/**
 * The lifecycle of single containers. Errors are DockhandError with the engine's kind:
 * NotFound for a missing container, Conflict when its state does not allow the operation.
 */
export interface ContainerControl {
  list(query: ContainerQuery, signal?: AbortSignal): Promise<ContainerSummary[]>;
  /** What the scaler needs to know of one container. */
  inspect(id: string, signal?: AbortSignal): Promise<ContainerDetails>;
  /** Inspect, with the configuration the container was created with. */
  describe(id: string, signal?: AbortSignal): Promise<ContainerDescription>;
  /**
   * Describes each container, in order. One that is removed in the meantime (NotFound) is left
   * out rather than failing the whole call, since lists go stale between two engine calls.
   */
  describeMany(ids: readonly string[], signal?: AbortSignal): Promise<ContainerDescription[]>;
  /** Returns the new container's id. AlreadyExists when the name is taken. */
  create(spec: ContainerSpec, signal?: AbortSignal): Promise<string>;
  /** NotModified when it already runs. */
  start(id: string, signal?: AbortSignal): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceSeconds`. NotModified when it is not running. */
  stop(id: string, graceSeconds: number, signal?: AbortSignal): Promise<void>;
  /** Stops (stop signal, SIGKILL after `graceSeconds`) and starts the same container. */
  restart(id: string, graceSeconds: number, signal?: AbortSignal): Promise<void>;
  /** Sends `killSignal` (e.g. `SIGKILL`) to the main process. Conflict when it is not running. */
  kill(id: string, killSignal: string, signal?: AbortSignal): Promise<void>;
  /** Conflict when it is not running or already paused. */
  pause(id: string, signal?: AbortSignal): Promise<void>;
  /** Conflict when it is not paused. */
  unpause(id: string, signal?: AbortSignal): Promise<void>;
  /** Resolves when the container is not running, at once when it already is not. No default deadline. */
  wait(id: string, signal?: AbortSignal): Promise<ExitResult>;
  remove(id: string, options: { force: boolean; volumes: boolean }, signal?: AbortSignal): Promise<void>;
  /** Renames a container; AlreadyExists when the new name is taken. */
  rename(id: string, name: string, signal?: AbortSignal): Promise<void>;
  /**
   * Writes regular files into a container (created or running) before its process needs them,
   * through the engine's archive API: nothing of them shows in the container's configuration.
   */
  copyFiles(id: string, files: readonly ContainerFile[], signal?: AbortSignal): Promise<void>;
  /** `docker commit`: the container's file system as a new image, returned inspected. */
  commit(id: string, options: CommitOptions, signal?: AbortSignal): Promise<ImageDetails>;
}
