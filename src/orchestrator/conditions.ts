/**
 * Conditions: why a service is not where it should be, as Kubernetes and Swarm tasks carry
 * them. A backend records what its passes run into (a pull that failed, a start the engine
 * refused); what status can see for itself (crash-looping, unhealthy, a paused rollout) is
 * derived when status is built. Both backends' status carries them.
 */
export type ConditionType =
  | "image_pull_failed"
  | "create_refused"
  | "start_failed"
  | "port_taken"
  | "waiting_on_secret"
  | "crash_looping"
  | "unhealthy"
  | "rollout_paused"
  | "task_failed";

export interface Condition {
  type: ConditionType;
  message: string;
  /** 0 for the whole service. */
  slot: number;
  firstSeenAt?: Date;
  lastSeenAt?: Date;
  count: number;
}

/** The kind of trouble an error is, marked where it was raised; read through its causes. */
const marked = new WeakMap<object, ConditionType>();

/** Marks `err` as the cause of a condition of this type; returns it, to be thrown. */
export function markCondition<E extends Error>(err: E, type: ConditionType): E {
  marked.set(err, type);
  return err;
}

/** The condition type an error (or any error it was caused by) was marked with. */
export function conditionTypeOf(err: unknown): ConditionType | undefined {
  for (let at: unknown = err, depth = 0; at instanceof Error && depth < 10; at = at.cause, depth++) {
    const type = marked.get(at);
    if (type) return type;
  }
  return undefined;
}

/**
 * The engine's words for two failures it gives no code for, read here alone: a host port taken
 * ("port is already allocated", or the kernel's "address already in use"), and an image it could
 * not pull (Swarm's task errors say "No such image" or the registry's refusal).
 */
export function isPortTaken(engineMessage: string): boolean {
  return /port is already allocated|address already in use/i.test(engineMessage);
}

export function isImagePullFailure(engineMessage: string): boolean {
  return /no such image|pull access denied|manifest unknown|failed to resolve reference|not found: manifest/i.test(
    engineMessage,
  );
}

/** Conditions ordered by type, then slot. */
export function sortConditions(conditions: Condition[]): Condition[] {
  return conditions.sort((a, b) => a.type.localeCompare(b.type) || a.slot - b.slot);
}

export interface ConditionRecord {
  /** A pass of the service ran into this: first seen now, or seen once more. */
  report(service: string, type: ConditionType, message: string, slot?: number): void;
  /** A pass of the service went through: what passes run into is gone. */
  clear(service: string): void;
  forget(service: string): void;
  of(service: string): Condition[];
  onChange(listener: (service: string) => void): () => void;
}

export function createConditionRecord(): ConditionRecord {
  const byService = new Map<string, Map<string, Condition>>();
  const listeners = new Set<(service: string) => void>();
  const changed = (service: string) => {
    for (const listener of listeners) listener(service);
  };
  return {
    report(service, type, message, slot = 0) {
      const now = new Date();
      let conditions = byService.get(service);
      if (!conditions) byService.set(service, (conditions = new Map()));
      const key = `${type}/${slot}`;
      const seen = conditions.get(key);
      conditions.set(key, {
        type,
        message,
        slot,
        firstSeenAt: seen?.firstSeenAt ?? now,
        lastSeenAt: now,
        count: (seen?.count ?? 0) + 1,
      });
      changed(service);
    },
    clear(service) {
      if (byService.delete(service)) changed(service);
    },
    forget(service) {
      byService.delete(service);
    },
    of(service) {
      return [...(byService.get(service)?.values() ?? [])];
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
