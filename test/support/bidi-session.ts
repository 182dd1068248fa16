/** Drives a bidirectional call from a test: messages pushed as the test goes, answers read until one matches. */
import { scaled } from "./time-scale.js";

/** A request stream the test feeds message by message, then ends (the client's half-close). */
export interface RequestQueue<T> extends AsyncIterable<T> {
  push(message: T): void;
  end(): void;
}

export function requestQueue<T>(): RequestQueue<T> {
  const queued: T[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  return {
    push(message) {
      queued.push(message);
      notify();
    },
    end() {
      ended = true;
      notify();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const next = queued.shift();
        if (next !== undefined) yield next;
        else if (ended) return;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}

/** Reads a response stream on demand: every message is kept in `seen`. */
export interface ResponseReader<R> {
  readonly seen: R[];
  /** Reads until `predicate` holds for what was seen so far; throws when the stream ends or errs first. */
  until(predicate: (seen: R[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
  /** Reads to the end; resolves with every message, rejects with the stream's error. */
  rest(): Promise<R[]>;
}

export function readResponses<R>(responses: AsyncIterable<R>): ResponseReader<R> {
  const iterator = responses[Symbol.asyncIterator]();
  const seen: R[] = [];
  let pending: Promise<IteratorResult<R>> | undefined;
  async function step(): Promise<boolean> {
    pending ??= iterator.next();
    const result = await pending;
    pending = undefined;
    if (result.done) return false;
    seen.push(result.value);
    return true;
  }
  return {
    seen,
    async until(predicate, what, timeoutMs = 60_000) {
      const deadline = Date.now() + scaled(timeoutMs);
      while (!predicate(seen)) {
        const left = deadline - Date.now();
        let timer: NodeJS.Timeout | undefined;
        const expired = new Promise<"expired">((resolve) => (timer = setTimeout(() => resolve("expired"), left)));
        const more = await Promise.race([step(), expired]).finally(() => clearTimeout(timer));
        if (more === "expired")
          throw new Error(`waited ${scaled(timeoutMs)} ms for ${what}; seen ${seen.length} messages`);
        if (!more && !predicate(seen)) throw new Error(`the stream ended before ${what}`);
      }
    },
    async rest() {
      while (await step());
      return seen;
    },
  };
}
