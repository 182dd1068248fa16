import type { ContainerControl } from "./container-control.js";
import type { ContainerStreams } from "./container-streams.js";
import type { EngineEventLog, EngineEvents } from "./event-stream.js";
import type { ImageControl, PullResult, TransferOptions } from "./image-control.js";
import type { NetworkControl } from "./network-control.js";
import type { VolumeControl } from "./volume-control.js";
import type { ContainerFile } from "./tar-writer.js";
import type {
  ContainerDetails,
  ContainerQuery,
  ContainerSpec,
  ContainerSummary,
  ImageDetails,
} from "./types.js";

/**
 * What the registry and the scaler need from an engine; the in-memory fake implements exactly
 * this. The interface through which dockhand drives a container engine. Implementations throw
 * `DockhandError` only, with a kind decided from the engine's status code or socket error:
 * NotFound (404), Conflict (409; AlreadyExists for a taken name on create), NotModified (304), InvalidArgument (400), Unavailable
 * (engine unreachable), Timeout, Cancelled. Volumes and networks are part of it because a
 * service's containers need theirs created before they start.
 */
export interface CoreEngine extends VolumeControl, NetworkControl {
  /** Resolves when the engine answers; Unavailable otherwise. */
  ping(signal?: AbortSignal): Promise<void>;
  listContainers(query: ContainerQuery, signal?: AbortSignal): Promise<ContainerSummary[]>;
  inspectContainer(id: string, signal?: AbortSignal): Promise<ContainerDetails>;
  /** Returns the new container's id. AlreadyExists when the name is taken. */
  createContainer(spec: ContainerSpec, signal?: AbortSignal): Promise<string>;
  /** NotModified when it already runs. */
  startContainer(id: string, signal?: AbortSignal): Promise<void>;
  /** SIGTERM, then SIGKILL after `graceSeconds`. NotModified when it is not running. */
  stopContainer(id: string, graceSeconds: number, signal?: AbortSignal): Promise<void>;
  removeContainer(
    id: string,
    options: { force: boolean; volumes: boolean },
    signal?: AbortSignal,
  ): Promise<void>;
  /**
   * Writes regular files into a container (created or running) before its process needs them,
   * through the engine's archive API: nothing of them shows in the container's configuration.
   */
  copyFilesToContainer(id: string, files: readonly ContainerFile[], signal?: AbortSignal): Promise<void>;
  /** Renames a container; AlreadyExists when the new name is taken. */
  renameContainer(id: string, name: string, signal?: AbortSignal): Promise<void>;
  /** NotFound when the engine does not have the image. */
  inspectImage(ref: string, signal?: AbortSignal): Promise<ImageDetails>;
  /**
   * Pulls `repo[:tag][@digest]` (no tag: `latest`) and resolves when the image is on the
   * engine. NotFound for an unknown repository or tag, PermissionDenied when the registry
   * refuses, Unavailable when it cannot be reached.
   */
  pullImage(ref: string, options?: TransferOptions): Promise<PullResult>;
}

/**
 * The full engine module: the core plus one interface per further concern (each in its own
 * file, implemented by a matching `docker-*.ts`). Only `src/engine/` imports dockerode.
 */
export interface Engine extends CoreEngine, ContainerControl, ContainerStreams, EngineEvents, EngineEventLog, ImageControl {}
