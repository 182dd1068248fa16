import { isDockhandError } from "../../model/dockhand-error.js";
import type { ContainerDetails } from "../types.js";

/**
 * Reads of single containers, in order. Each read takes a number, and only the newest read's
 * answer is kept; a caller waiting on an older read waits for the newest too, so it always
 * finds the store at least as new as the moment it asked. At most one read per container is
 * under way and one waits behind it, so a burst of asks costs two inspections, not one each.
 */
export interface OrderedReads {
  /** Reads one container; resolves once a read at least this new was kept. Rejects when the engine failed. */
  read(id: string): Promise<void>;
  /** How many reads have begun: a read whose number is above a mark taken earlier began after it. */
  mark(): number;
  /** The number of the newest read of a container (0: none since it was last forgotten). */
  numberOf(id: string): number;
  /** The newest read of a container under way, if any. */
  underWay(id: string): Promise<void> | undefined;
  /** This host's time (nanoseconds since the epoch, floored to the millisecond) when the newest read of a container began; 0 if none. */
  beganAt(id: string): bigint;
  /** Waits until no read is under way or waiting, including those that start meanwhile. */
  settled(): Promise<void>;
  /** Makes every read of a container under way stale: it is gone. */
  forget(id: string): void;
}

export interface OrderedReadsOptions {
  inspect(id: string): Promise<ContainerDetails>;
  /** A kept answer: the container as read, or undefined when it no longer exists. */
  keep(id: string, details: ContainerDetails | undefined): void;
  /** A read failed on the engine's side (not NotFound). */
  failed(err: unknown): void;
}

export function createOrderedReads(options: OrderedReadsOptions): OrderedReads {
  /** Per container that exists, the number of its newest read; an older read's answer is dropped. */
  const numbers = new Map<string, number>();
  const began = new Map<string, bigint>();
  /** The newest read under way, per container. */
  const pending = new Map<string, Promise<void>>();
  /** Reads asked for while one of the same container is under way: each starts when that one ends, and serves every caller meanwhile. */
  const queued = new Map<string, Promise<void>>();
  let reads = 0;

  function read(id: string): Promise<void> {
    const waiting = queued.get(id);
    if (waiting) return waiting;
    const current = pending.get(id);
    if (!current) return inspect(id);
    const next = current
      .catch(() => undefined)
      .then(() => {
        queued.delete(id);
        return inspect(id);
      });
    queued.set(id, next);
    return next;
  }

  function inspect(id: string): Promise<void> {
    const number = ++reads;
    numbers.set(id, number);
    began.set(id, BigInt(Date.now()) * 1_000_000n);
    const reading: Promise<void> = options
      .inspect(id)
      .then(
        (details) => {
          if (numbers.get(id) === number) options.keep(id, details);
        },
        (err: unknown) => {
          if (!isDockhandError(err, "NotFound")) throw err;
          if (numbers.get(id) !== number) return;
          numbers.delete(id);
          options.keep(id, undefined);
        },
      )
      .then(async () => {
        // Overtaken: the newer read's answer is the one the caller must find.
        const newest = pending.get(id);
        if (newest && newest !== reading) await newest;
      });
    pending.set(id, reading);
    void reading.then(
      () => pending.get(id) === reading && pending.delete(id),
      (err: unknown) => {
        if (pending.get(id) === reading) pending.delete(id);
        options.failed(err);
      },
    );
    return reading;
  }

  return {
    read,
    mark: () => reads,
    numberOf: (id) => numbers.get(id) ?? 0,
    underWay: (id) => pending.get(id),
    beganAt: (id) => began.get(id) ?? 0n,
    async settled() {
      while (pending.size > 0 || queued.size > 0) await Promise.allSettled([...pending.values(), ...queued.values()]);
    },
    forget(id) {
      // No number is newer than a missing one: reads under way are dropped.
      numbers.delete(id);
      began.delete(id);
      pending.delete(id);
    },
  };
}
