import { DockhandError } from "../model/dockhand-error.js";
import { checkDefinition, checkServiceName, checkUpdatePolicy } from "../model/definition-rules.js";
import {
  defaultUpdatePolicy,
  definitionWithDefaults,
  sameDefinition,
  type Rollout,
  type ServiceDefinition,
  type StoredService,
  type UpdatePolicy,
} from "../model/service-definition.js";
import type { StateFile } from "./state-file.js";
import type { AutoscalePolicy } from "../model/autoscale-policy.js";
import { quote } from "../model/quote.js";
import { inCanaryPhase } from "../model/service-definition.js";
import { checkVolumeClashes } from "../model/volume-names.js";

export interface UpdateOptions {
  /** The version the caller read; 0 updates unconditionally. */
  expectedVersion: number;
  /** Create the service when it does not exist. */
  allowMissing: boolean;
  /** How running containers move to the new definition. Unset: keep the stored policy. */
  updatePolicy?: UpdatePolicy;
  /** How the autoscaler follows load. Unset: keep the stored policy; null: remove it. */
  autoscale?: AutoscalePolicy | null;
}

/** Durable registry of service definitions and their desired replica counts. */
export interface ServiceRegistry {
  list(): StoredService[];
  /** NotFound when absent. */
  get(name: string): StoredService;
  find(name: string): StoredService | undefined;
  create(def: ServiceDefinition, updatePolicy?: UpdatePolicy, autoscale?: AutoscalePolicy): Promise<StoredService>;
  /**
   * Replaces a definition. A changed definition gets the next version, keeps the old one as
   * `previous`, and starts a rollout when containers run.
   */
  update(def: ServiceDefinition, options: UpdateOptions): Promise<{ service: StoredService; created: boolean }>;
  setReplicas(name: string, replicas: number): Promise<StoredService>;
  /** Records the progress of a rollout; NotFound when the service is gone. */
  setRollout(name: string, rollout: Rollout): Promise<StoredService>;
  /**
   * Makes the previous definition current again, as a new version, and starts rolling back
   * to it. FailedPrecondition when there is no previous definition.
   */
  rollback(name: string): Promise<StoredService>;
  /** Goes on with an update whose canaries run (not yet promoted); FailedPrecondition when there is none. */
  promote(name: string): Promise<StoredService>;
  remove(name: string): Promise<void>;
  /** Calls `listener` with each changed service's name after the change has been stored; returns the unsubscribe. */
  onChange(listener: (name: string) => void): () => void;
}

/**
 * Loads the registry from its state file. Every change is written to disk before it becomes
 * visible, and changes are applied one at a time, so memory and disk never disagree.
 */
export async function createServiceRegistry(stateFile: StateFile): Promise<ServiceRegistry> {
  let services = await stateFile.load();
  // Services stored by an older dockhand lack newer fields: give them their defaults.
  for (const [name, stored] of services) {
    services.set(name, {
      ...stored,
      definition: definitionWithDefaults(stored.definition),
      updatePolicy: { ...defaultUpdatePolicy, ...stored.updatePolicy },
    });
  }
  let queue: Promise<unknown> = Promise.resolve();
  const listeners = new Set<(name: string) => void>();

  function mutate<T>(change: (next: Map<string, StoredService>) => T): Promise<T> {
    const run = queue.then(async () => {
      const next = new Map(services);
      const result = change(next);
      await stateFile.save(next);
      const before = services;
      services = next;
      const changed = [...next.keys()].filter((name) => before.get(name) !== next.get(name));
      for (const name of before.keys()) if (!next.has(name)) changed.push(name);
      for (const name of changed) for (const listener of listeners) listener(name);
      return result;
    });
    queue = run.catch(() => undefined);
    return run;
  }

  function notFound(name: string): DockhandError {
    return new DockhandError("NotFound", `service ${quote(name)} does not exist`, { details: { field: "name" } });
  }

  function existing(next: Map<string, StoredService>, name: string): StoredService {
    const current = next.get(name);
    if (!current) throw notFound(name);
    return current;
  }

  function fresh(
    def: ServiceDefinition,
    updatePolicy: UpdatePolicy = defaultUpdatePolicy,
    autoscale?: AutoscalePolicy | null,
  ): StoredService {
    const now = new Date().toISOString();
    return {
      definition: def,
      version: 1,
      replicas: 0,
      createdAt: now,
      updatedAt: now,
      updatePolicy: { ...updatePolicy },
      ...(autoscale ? { autoscale: { ...autoscale } } : {}),
    };
  }

  /** The next version of a service with `def` current; a rollout starts when containers run. */
  function changed(
    current: StoredService,
    def: ServiceDefinition,
    state: "updating" | "rolling_back",
    canaries = 0,
  ): StoredService {
    const now = new Date().toISOString();
    const version = current.version + 1;
    // A return from canaries that were never promoted: the old containers stay, the canaries go.
    const restores = state === "rolling_back" && inCanaryPhase(current.rollout) ? current.previous?.version : undefined;
    const canary = Math.min(canaries, current.replicas);
    return {
      ...current,
      definition: def,
      version,
      updatedAt: now,
      previous: { definition: current.definition, version: current.version },
      rollout:
        current.replicas > 0
          ? {
              state: canary > 0 ? "canary" : state,
              message: "",
              fromVersion: current.version,
              toVersion: version,
              startedAt: now,
              ...(canary > 0 ? { canary } : {}),
              ...(restores !== undefined ? { restores, canary: current.rollout?.canary } : {}),
            }
          : {
              state: state === "updating" ? "completed" : "rolled_back",
              message: "no containers to replace",
              fromVersion: current.version,
              toVersion: version,
              startedAt: now,
              endedAt: now,
            },
    };
  }

  function withAutoscale(stored: StoredService, autoscale: AutoscalePolicy | undefined): StoredService {
    const { autoscale: _replaced, ...rest } = stored;
    return autoscale ? { ...rest, autoscale: { ...autoscale } } : rest;
  }

  function* definitionsOf(stored: Map<string, StoredService>): Iterable<ServiceDefinition> {
    for (const service of stored.values()) yield service.definition;
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
    async create(def, updatePolicy, autoscale) {
      checkDefinition(def);
      if (updatePolicy) checkUpdatePolicy(updatePolicy);
      return mutate((next) => {
        if (next.has(def.name)) {
          throw new DockhandError("AlreadyExists", `service ${quote(def.name)} already exists`, {
            details: { field: "name" },
          });
        }
        checkVolumeClashes(def, definitionsOf(next));
        const stored = fresh(def, updatePolicy, autoscale);
        next.set(def.name, stored);
        return stored;
      });
    },
    async update(def, options) {
      checkDefinition(def);
      if (options.updatePolicy) checkUpdatePolicy(options.updatePolicy);
      return mutate((next) => {
        const current = next.get(def.name);
        if (!current && !options.allowMissing) throw notFound(def.name);
        checkVolumeClashes(def, definitionsOf(next));
        if (!current) {
          const stored = fresh(def, options.updatePolicy, options.autoscale);
          next.set(def.name, stored);
          return { service: stored, created: true };
        }
        if (options.expectedVersion !== 0 && options.expectedVersion !== current.version) {
          throw new DockhandError(
            "Aborted",
            `service ${quote(def.name)} is at version ${current.version}, not ${options.expectedVersion}: it changed since you read it; read it again and retry`,
            { details: { field: "version" } },
          );
        }
        const policy = options.updatePolicy ?? current.updatePolicy;
        const autoscale = options.autoscale === undefined ? current.autoscale : (options.autoscale ?? undefined);
        const samePolicy =
          JSON.stringify(policy) === JSON.stringify(current.updatePolicy) &&
          JSON.stringify(autoscale) === JSON.stringify(current.autoscale);
        if (sameDefinition(current.definition, def)) {
          if (samePolicy) return { service: current, created: false };
          const updated = { ...current, updatePolicy: { ...policy }, updatedAt: new Date().toISOString() };
          const stored = withAutoscale(updated, autoscale);
          next.set(def.name, stored);
          return { service: stored, created: false };
        }
        const stored = withAutoscale(
          { ...changed(current, def, "updating", policy.canary), updatePolicy: { ...policy } },
          autoscale,
        );
        next.set(def.name, stored);
        return { service: stored, created: false };
      });
    },
    setReplicas(name, replicas) {
      return mutate((next) => {
        const current = existing(next, name);
        if (current.replicas === replicas) return current;
        const stored = { ...current, replicas, updatedAt: new Date().toISOString() };
        next.set(name, stored);
        return stored;
      });
    },
    setRollout(name, rollout) {
      return mutate((next) => {
        const stored = { ...existing(next, name), rollout };
        next.set(name, stored);
        return stored;
      });
    },
    promote(name) {
      return mutate((next) => {
        const current = existing(next, name);
        const rollout = current.rollout;
        if (!rollout || !inCanaryPhase(rollout) || rollout.toVersion !== current.version) {
          throw new DockhandError(
            "FailedPrecondition",
            `service ${quote(name)} has no update waiting for promotion (its canaries run only after an UpdateService with update_config.canary)`,
          );
        }
        const { endedAt: _ended, ...running } = rollout;
        const stored: StoredService = {
          ...current,
          rollout: { ...running, state: "updating", promoted: true, message: "promoted" },
        };
        next.set(name, stored);
        return stored;
      });
    },
    rollback(name) {
      return mutate((next) => {
        const current = existing(next, name);
        if (!current.previous) {
          throw new DockhandError(
            "FailedPrecondition",
            `service ${quote(name)} has no previous definition to roll back to`,
          );
        }
        const stored = changed(current, current.previous.definition, "rolling_back");
        next.set(name, stored);
        return stored;
      });
    },
    remove(name) {
      return mutate((next) => {
        if (!next.delete(name)) throw notFound(name);
      });
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return registry;
}
