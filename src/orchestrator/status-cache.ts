import type { Orchestrator } from "./orchestrator.js";
import type { ServiceStatusView } from "./service-status.js";

export interface StatusCacheOptions {
  /** Reads status, and names each service whose status may have changed, for every input status reads. */
  source: Pick<Orchestrator, "status" | "onStatusChange">;
  /** False while what the backend knows may lag what runs (engine unreachable, store rebuilding): nothing cached is answered. */
  trusted: () => boolean;
}

export interface StatusCache {
  /** The service's status: the one cached since its last change, or read now (and cached). */
  status(name: string): Promise<ServiceStatusView>;
  /** The cached status when there is one that is still the answer; never reads. */
  peek(name: string): ServiceStatusView | undefined;
  close(): void;
}

/**
 * Each service's last status, kept until one of the inputs status reads changes (the
 * backend's change notices cover containers, the definition, the desired count, failures and
 * restart delays, and the rollout). All three protocols and the watches read through it, so a
 * dashboard polling GetStatus costs a map lookup, not a status build.
 *
 * A read that began before a change is never cached: every change bumps the service's
 * generation, and a read stores its answer only if the generation it began with still holds.
 */
export function createStatusCache(options: StatusCacheOptions): StatusCache {
  const { source, trusted } = options;
  const cached = new Map<string, ServiceStatusView>();
  const generations = new Map<string, number>();
  const unsubscribe = source.onStatusChange((name) => {
    cached.delete(name);
    generations.set(name, (generations.get(name) ?? 0) + 1);
  });

  function peek(name: string): ServiceStatusView | undefined {
    return trusted() ? cached.get(name) : undefined;
  }

  return {
    peek,
    async status(name) {
      const hit = peek(name);
      if (hit) return hit;
      const generation = generations.get(name) ?? 0;
      const view = await source.status(name);
      if ((generations.get(name) ?? 0) === generation && trusted()) cached.set(name, view);
      return view;
    },
    close() {
      unsubscribe();
      cached.clear();
    },
  };
}
