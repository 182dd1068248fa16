import type { EngineEvent } from "../event-stream.js";

/** More removals or refreshed changes than can be under way at once; the oldest are forgotten first. */
const remembered = 4096;

/** How a claim ended: with one read of the container begun after `covers` (its own actions) were done. */
export interface ClaimOutcome {
  id: string;
  /** The actions dockhand itself did and waited for before that read began, e.g. create and start. */
  covers: readonly string[];
}

/**
 * Containers dockhand itself is changing (creating, starting, stopping, removing), by name.
 * Their events are not read one by one while the change is under way: the change ends with one
 * read of its own (read-your-writes), which covers them all, or with the container removed.
 * That is how a new container costs three engine calls (create, start, one inspect) and a
 * removed one two (stop, remove), instead of a read per event.
 */
export interface ClaimedChanges {
  /**
   * Claims a container name; the function returned ends the claim and gives the ids whose
   * held-back events still need a read (the engine's time of the newest one), given how the
   * change ended.
   */
  claim(name: string): (outcome?: ClaimOutcome) => Map<string, bigint>;
  /** True for an event a claim's read already covered, which came after the claim ended (taken off the list). */
  arrivedAsExpected(event: EngineEvent): boolean;
  /** True when the event's container is claimed: the event is held back (noted, not read). */
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
  /** The event stream broke: events expected on it may never come. */
  reset(): void;
}

interface Claimed {
  name: string;
  /** Every action of the container seen while claimed. */
  seen: Set<string>;
  /** Actions held back since the last read of it began, and the engine's time of the newest. */
  unread: Set<string>;
  unreadNano: bigint;
}

export function createClaimedChanges(): ClaimedChanges {
  const claims = new Map<string, number>();
  const claimed = new Map<string, Claimed>();
  const removals = new Set<string>();
  /** Per container, actions a claim's read covered whose events had not yet come when it ended. */
  const expected = new Map<string, Set<string>>();

  function bounded<T>(collection: Set<T> | Map<T, unknown>): void {
    if (collection.size > remembered) collection.delete(collection.keys().next().value as T);
  }

  function end(name: string, outcome: ClaimOutcome | undefined): Map<string, bigint> {
    const toRead = new Map<string, bigint>();
    const seen = outcome ? claimed.get(outcome.id)?.seen : undefined;
    for (const [id, entry] of claimed) {
      if (entry.name !== name) continue;
      claimed.delete(id);
      if (entry.unread.size === 0) continue;
      const covered = outcome?.id === id && [...entry.unread].every((action) => outcome.covers.includes(action));
      if (!covered) toRead.set(id, entry.unreadNano);
    }
    if (outcome && !toRead.has(outcome.id)) {
      const late = new Set(outcome.covers.filter((action) => !seen?.has(action)));
      if (late.size > 0) {
        expected.set(outcome.id, late);
        bounded(expected);
      }
    }
    return toRead;
  }

  return {
    claim(name) {
      claims.set(name, (claims.get(name) ?? 0) + 1);
      let ended = false;
      return (outcome) => {
        if (ended) return new Map();
        ended = true;
        const left = (claims.get(name) ?? 1) - 1;
        if (left > 0) {
          claims.set(name, left);
          return new Map();
        }
        claims.delete(name);
        return end(name, outcome);
      };
    },
    arrivedAsExpected(event) {
      const late = expected.get(event.id);
      if (!late?.delete(event.action)) return false;
      if (late.size === 0) expected.delete(event.id);
      return true;
    },
    holdBack(event) {
      const name = event.attributes.name;
      const entry = claimed.get(event.id);
      const claimedName =
        name !== undefined && claims.has(name) ? name : entry && claims.has(entry.name) ? entry.name : undefined;
      if (claimedName === undefined) return false;
      const next = entry ?? { name: claimedName, seen: new Set<string>(), unread: new Set<string>(), unreadNano: 0n };
      next.seen.add(event.action);
      next.unread.add(event.action);
      next.unreadNano = event.timeNano;
      claimed.set(event.id, next);
      return true;
    },
    heldBack() {
      const ids = new Map<string, bigint>();
      for (const [id, entry] of claimed) if (entry.unread.size > 0) ids.set(id, entry.unreadNano);
      return ids;
    },
    caughtUp: (id) => claimed.get(id)?.unread.clear(),
    removed(id) {
      claimed.delete(id);
      expected.delete(id);
      removals.add(id);
      bounded(removals);
    },
    isRemoved: (id) => removals.has(id),
    destroyed(id) {
      claimed.delete(id);
      expected.delete(id);
      removals.delete(id);
    },
    reset: () => expected.clear(),
  };
}
