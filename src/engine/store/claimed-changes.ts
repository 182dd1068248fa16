import type { EngineEvent } from "../event-stream.js";

/** More removals than can be under way at once; the oldest are forgotten first. */
const rememberedRemovals = 4096;

/**
 * Containers dockhand itself is changing (creating, starting, stopping, removing), by name.
 * Their events are not read one by one while the change is under way: the change ends with one
 * read of its own (read-your-writes), which covers them all, or with the container removed.
 * That is how a new container costs three engine calls (create, start, one inspect) and a
 * removed one two (stop, remove), instead of a read per event.
 */
export interface ClaimedChanges {
  /** Claims a container name; the function returned ends the claim and gives the ids whose events were held back. */
  claim(name: string): () => Map<string, bigint>;
  /** True when the event is about a claimed container: it is held back (noted, not read). */
  holdBack(event: EngineEvent): boolean;
  /** Every id with events held back, and the engine's time of the newest one. */
  heldBack(): Map<string, bigint>;
  /** A read of the container began after its held-back events: nothing is held back any more. */
  caughtUp(id: string): void;
  /** The container was removed by dockhand: its late events are ignored until its destroy. */
  removed(id: string): void;
  /** True for a container dockhand removed (its own events still on their way). */
  isRemoved(id: string): boolean;
  /** Its destroy event came: nothing more will. */
  destroyed(id: string): void;
}

export function createClaimedChanges(): ClaimedChanges {
  const claims = new Map<string, number>();
  /** Per id held back: the name it was claimed by, and the newest held-back event's time. */
  const held = new Map<string, { name: string; timeNano: bigint }>();
  const removals = new Set<string>();

  return {
    claim(name) {
      claims.set(name, (claims.get(name) ?? 0) + 1);
      let released = false;
      return () => {
        const ids = new Map<string, bigint>();
        if (released) return ids;
        released = true;
        const left = (claims.get(name) ?? 1) - 1;
        if (left > 0) {
          claims.set(name, left);
          return ids;
        }
        claims.delete(name);
        for (const [id, entry] of held) {
          if (entry.name !== name) continue;
          ids.set(id, entry.timeNano);
          held.delete(id);
        }
        return ids;
      };
    },
    holdBack(event) {
      const name = event.attributes.name;
      const entry = held.get(event.id);
      const claimedName =
        name !== undefined && claims.has(name) ? name : entry && claims.has(entry.name) ? entry.name : undefined;
      if (claimedName === undefined) return false;
      held.set(event.id, { name: claimedName, timeNano: event.timeNano });
      return true;
    },
    heldBack: () => new Map([...held].map(([id, entry]) => [id, entry.timeNano])),
    caughtUp: (id) => void held.delete(id),
    removed(id) {
      held.delete(id);
      removals.add(id);
      if (removals.size > rememberedRemovals) removals.delete(removals.values().next().value as string);
    },
    isRemoved: (id) => removals.has(id),
    destroyed(id) {
      held.delete(id);
      removals.delete(id);
    },
  };
}
