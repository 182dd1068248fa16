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
 * A read that began before a change is never cached: a change bumps the generation of the
 * reads of that service under way, and a read stores its answer only if its generation holds.
 */
export function createStatusCache(options: StatusCacheOptions): StatusCache {
  const { source, trusted } = options;
  const cached = new Map<string, ServiceStatusView>();
  const reading = createReadTracker();
  const unsubscribe = source.onStatusChange((name) => {
    cached.delete(name);
    reading.changed(name);
  });

  function peek(name: string): ServiceStatusView | undefined {
    return trusted() ? cached.get(name) : undefined;
  }

  return {
    peek,
    async status(name) {
      const hit = peek(name);
      if (hit) return hit;
      const read = reading.begin(name);
      try {
        const view = await source.status(name);
        if (!read.overtaken() && trusted()) cached.set(name, view);
        return view;
      } finally {
        read.end();
      }
    },
    close() {
      unsubscribe();
      cached.clear();
    },
  };
}

/**
 * Which status reads under way a change overtook. It holds only the services being read, so
 * the names of deleted services are not kept.
 */
export function createReadTracker(): {
  begin(name: string): { overtaken(): boolean; end(): void };
  changed(name: string): void;
} {
  const reads = new Map<string, { count: number; generation: number }>();
  return {
    changed(name) {
      const entry = reads.get(name);
      if (entry) entry.generation++;
    },
    begin(name) {
      let entry = reads.get(name);
      if (!entry) reads.set(name, (entry = { count: 0, generation: 0 }));
      entry.count++;
      const own = entry;
      const generation = own.generation;
      return {
        overtaken: () => own.generation !== generation,
        end() {
          if (--own.count === 0 && reads.get(name) === own) reads.delete(name);
        },
      };
    },
  };
}
