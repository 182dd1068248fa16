/** The Engine interface: what dockhand needs from a container engine, one group per resource. */
import type { ContainerControl } from "./container-control.js";
import type { ContainerInteractive } from "./container-interactive.js";
import type { ContainerStreams } from "./container-streams.js";
import type { EngineEventLog, EngineEvents } from "./event-stream.js";
import type { ImageControl } from "./image-control.js";
import type { NetworkControl } from "./network-control.js";
import type { SystemControl } from "./system-control.js";
import type { VolumeControl } from "./volume-control.js";

/**
 * The interface through which dockhand drives a container engine, grouped by resource. Each
 * group is declared in its own file (domain types only) and implemented by a matching
 * `docker/docker-*.ts`; only `src/engine/docker/` imports dockerode. Implementations throw
 * `DockhandError` only, with a kind decided from the engine's status code or socket error:
 * NotFound (404), Conflict (409; AlreadyExists for a taken name on create), NotModified (304),
 * InvalidArgument (400), Unavailable (engine unreachable), Timeout, Cancelled.
 */
export interface Engine {
  /** Containers: their lifecycle, the streams of their output and usage, interactive processes and copies. */
  readonly containers: ContainerControl & ContainerStreams & ContainerInteractive;
  readonly images: ImageControl;
  /** Named volumes; a service's containers need theirs created before they start. */
  readonly volumes: VolumeControl;
  /** Networks; a service's containers need theirs created before they start. */
  readonly networks: NetworkControl;
  /** The engine's event stream, and its log of past events. */
  readonly events: EngineEvents & EngineEventLog;
  /** The engine itself: reachability and information. */
  readonly system: SystemControl;
}
