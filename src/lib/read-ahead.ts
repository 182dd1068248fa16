/**
 * Reads `source` ahead of its consumer, holding at most about `maxBytes`: the next read overlaps
 * the consumer's handling of the last item (a network write, say), so neither side waits for the
 * other item by item, while a consumer that stops reading still stops the source once that much
 * is held. Stopping early returns the source once its pending read (if any) settles: an async
 * generator's return() would wait behind that read, so the source's owner closes what it reads
 * from to end it at once.
 */
export async function* readAhead<T>(
  source: AsyncIterable<T>,
  sizeOf: (item: T) => number,
  maxBytes: number,
): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const queue: T[] = [];
  let held = 0;
  let ended = false;
  let stopped = false;
  let failure: { err: unknown } | undefined;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const wake = (which: "consumer" | "producer") => {
    const resolve = which === "consumer" ? wakeConsumer : wakeProducer;
    if (which === "consumer") wakeConsumer = undefined;
    else wakeProducer = undefined;
    resolve?.();
  };
  void (async () => {
    try {
      while (!stopped) {
        if (held >= maxBytes) {
          await new Promise<void>((resolve) => (wakeProducer = resolve));
          continue;
        }
        const next = await iterator.next();
        if (next.done) return;
        queue.push(next.value);
        held += sizeOf(next.value);
        wake("consumer");
      }
      // The consumer stopped; no read is pending now, so the source's return() runs at once.
      await iterator.return?.();
    } catch (err) {
      failure = { err };
    } finally {
      ended = true;
      wake("consumer");
    }
  })();
  try {
    for (;;) {
      if (queue.length > 0) {
        const item = queue.shift() as T;
        held -= sizeOf(item);
        wake("producer");
        yield item;
      } else if (failure) throw failure.err;
      else if (ended) return;
      else await new Promise<void>((resolve) => (wakeConsumer = resolve));
    }
  } finally {
    stopped = true;
    wake("producer");
  }
}
