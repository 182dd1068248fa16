import type { NetworkDetails } from "./types.js";

/**
 * Networks on the engine. Errors are DockhandError with the engine's kind: NotFound for a
 * missing network or container, AlreadyExists for a name in use, Conflict for a network that
 * still has containers.
 */
export interface NetworkControl {
  /** Creates a user-defined bridge network. AlreadyExists when the name is taken. */
  create(
    spec: { name: string; labels: Record<string, string>; internal: boolean },
    signal?: AbortSignal,
  ): Promise<NetworkDetails>;
  /** By id or name. */
  inspect(idOrName: string, signal?: AbortSignal): Promise<NetworkDetails>;
  /** Every network, or those carrying each `key` or `key=value` label. */
  list(query: { labels?: string[] }, signal?: AbortSignal): Promise<NetworkDetails[]>;
  /** Conflict while containers are attached. */
  remove(idOrName: string, signal?: AbortSignal): Promise<void>;
  /** Conflict when the container is already attached. */
  connect(idOrName: string, container: string, aliases: string[], signal?: AbortSignal): Promise<void>;
  /** Conflict (or NotFound) when the container is not attached. */
  disconnect(idOrName: string, container: string, force: boolean, signal?: AbortSignal): Promise<void>;
}
