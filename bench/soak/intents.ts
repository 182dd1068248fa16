/**
 * What the clients last set, per service: the replica count of each scaled service and the
 * generation (an environment variable) of each rolled service. A call that succeeded sets one
 * value; a call that failed may or may not have been stored, so after it either value is right.
 */
export interface Intents {
  /** Called before a call that sets `value`; returns what to call with its outcome. */
  setting(service: string, value: string): (succeeded: boolean) => void;
  acceptable(service: string): ReadonlySet<string>;
}

export function createIntents(initial: Record<string, string>): Intents {
  const values = new Map(Object.entries(initial).map(([service, value]) => [service, new Set([value])]));
  return {
    setting(service, value) {
      return (succeeded) => {
        if (succeeded) values.set(service, new Set([value]));
        else values.get(service)?.add(value);
      };
    },
    acceptable: (service) => values.get(service) ?? new Set(),
  };
}
