import { DockhandError } from "../errors/dockhand-error.js";
import { checkDefinition, checkServiceName } from "./definition-rules.js";
import { definitionWithDefaults, sameDefinition, type ServiceDefinition, type StoredService } from "./service-definition.js";
import type { StateFile } from "./state-file.js";

export interface UpdateOptions {
  /** The version the caller read; 0 updates unconditionally. */
  expectedVersion: number;
  /** Create the service when it does not exist. */
  allowMissing: boolean;
}

/** Durable registry of service definitions and their desired replica counts. */
export interface ServiceRegistry {
  list(): StoredService[];
  /** NotFound when absent. */
  get(name: string): StoredService;
  find(name: string): StoredService | undefined;
  create(def: ServiceDefinition): Promise<StoredService>;
  update(def: ServiceDefinition, options: UpdateOptions): Promise<{ service: StoredService; created: boolean }>;
  setReplicas(name: string, replicas: number): Promise<StoredService>;
  remove(name: string): Promise<void>;
}

/**
 * Loads the registry from its state file. Every change is written to disk before it becomes
 * visible, and changes are applied one at a time, so memory and disk never disagree.
 */
export async function createServiceRegistry(stateFile: StateFile): Promise<ServiceRegistry> {
  let services = await stateFile.load();
  // Definitions stored by an older dockhand lack newer fields: give them their defaults.
  for (const [name, stored] of services) services.set(name, { ...stored, definition: definitionWithDefaults(stored.definition) });
  let queue: Promise<unknown> = Promise.resolve();

  function mutate<T>(change: (next: Map<string, StoredService>) => T): Promise<T> {
    const run = queue.then(async () => {
      const next = new Map(services);
      const result = change(next);
      await stateFile.save(next);
      services = next;
      return result;
    });
    queue = run.catch(() => undefined);
    return run;
  }

  function notFound(name: string): DockhandError {
    return new DockhandError("NotFound", `service "${name}" does not exist`, { details: { field: "name" } });
  }

  function fresh(def: ServiceDefinition): StoredService {
    const now = new Date().toISOString();
    return { definition: def, version: 1, replicas: 0, createdAt: now, updatedAt: now };
  }

  const registry: ServiceRegistry = {
    list: () => [...services.values()].sort((a, b) => a.definition.name.localeCompare(b.definition.name)),
    find: (name) => services.get(name),
    get(name) {
      checkServiceName(name);
      const stored = services.get(name);
      if (!stored) throw notFound(name);
      return stored;
    },
    async create(def) {
      checkDefinition(def);
      return mutate((next) => {
        if (next.has(def.name)) {
          throw new DockhandError("AlreadyExists", `service "${def.name}" already exists`, { details: { field: "name" } });
        }
        const stored = fresh(def);
        next.set(def.name, stored);
        return stored;
      });
    },
    async update(def, options) {
      checkDefinition(def);
      return mutate((next) => {
        const current = next.get(def.name);
        if (!current) {
          if (!options.allowMissing) throw notFound(def.name);
          const stored = fresh(def);
          next.set(def.name, stored);
          return { service: stored, created: true };
        }
        if (options.expectedVersion !== 0 && options.expectedVersion !== current.version) {
          throw new DockhandError(
            "Aborted",
            `service "${def.name}" is at version ${current.version}, not ${options.expectedVersion}: it changed since you read it; read it again and retry`,
            { details: { field: "version" } },
          );
        }
        if (sameDefinition(current.definition, def)) return { service: current, created: false };
        const stored: StoredService = {
          ...current,
          definition: def,
          version: current.version + 1,
          updatedAt: new Date().toISOString(),
        };
        next.set(def.name, stored);
        return { service: stored, created: false };
      });
    },
    setReplicas(name, replicas) {
      return mutate((next) => {
        const current = next.get(name);
        if (!current) throw notFound(name);
        if (current.replicas === replicas) return current;
        const stored = { ...current, replicas, updatedAt: new Date().toISOString() };
        next.set(name, stored);
        return stored;
      });
    },
    remove(name) {
      return mutate((next) => {
        if (!next.delete(name)) throw notFound(name);
      });
    },
  };
  return registry;
}
