/** The engine itself: whether it answers, and what it is (`docker info` and `docker version`). */

export type SwarmMembership = "inactive" | "pending" | "active" | "error" | "locked" | "unknown";

export interface EngineInfo {
  /** The engine's own id (`docker info`'s ID). */
  id: string;
  engineVersion: string;
  apiVersion: string;
  os: string;
  architecture: string;
  operatingSystem: string;
  kernelVersion: string;
  cpus: number;
  memoryBytes: number;
  containers: number;
  containersRunning: number;
  containersPaused: number;
  containersStopped: number;
  images: number;
  name: string;
  storageDriver: string;
  swarm: SwarmMembership;
}

export interface SystemControl {
  /** Resolves when the engine answers; Unavailable otherwise. */
  ping(signal?: AbortSignal): Promise<void>;
  info(signal?: AbortSignal): Promise<EngineInfo>;
}
