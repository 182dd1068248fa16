import type { VolumeDetails } from "./types.js";

/**
 * Named volumes on the engine. Errors are DockhandError with the engine's kind: NotFound for
 * a missing volume, Conflict for one a container still uses.
 */
export interface VolumeControl {
  /** Creates a local volume, or returns the one of that name (with its own labels) when it exists. */
  create(spec: { name: string; labels: Record<string, string> }, signal?: AbortSignal): Promise<VolumeDetails>;
  inspect(name: string, signal?: AbortSignal): Promise<VolumeDetails>;
  /** Every volume, or those carrying each `key` or `key=value` label. */
  list(query: { labels?: string[] }, signal?: AbortSignal): Promise<VolumeDetails[]>;
  /** Conflict when a container uses it. */
  remove(name: string, signal?: AbortSignal): Promise<void>;
}
