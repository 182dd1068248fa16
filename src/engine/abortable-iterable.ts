/**
 * An async iterable over `run(signal)` whose `return()` aborts that signal first. An async
 * generator's own `return()` queues behind its pending read, so a consumer stopping a quiet
 * stream (a followed log, a long exec) would otherwise keep the engine connection open until
 * the next chunk came. `outer` aborting aborts it too.
 */
export function abortable<T>(
  outer: AbortSignal | undefined,
  run: (signal: AbortSignal) => AsyncGenerator<T>,
): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const controller = new AbortController();
      const forward = () => controller.abort(outer?.reason);
      if (outer?.aborted) forward();
      else outer?.addEventListener("abort", forward, { once: true });
      const generator = (async function* () {
        try {
          yield* run(controller.signal);
        } finally {
          outer?.removeEventListener("abort", forward);
        }
      })();
      return {
        next: () => generator.next(),
        return: (value?: unknown) => {
          // A generator never started skips its finally: the listener goes here too.
          outer?.removeEventListener("abort", forward);
          controller.abort();
          return generator.return(value as undefined);
        },
        throw: (err?: unknown) => {
          outer?.removeEventListener("abort", forward);
          controller.abort();
          return generator.throw(err);
        },
      };
    },
  };
}
