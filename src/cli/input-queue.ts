/** Requests a session sends as they come (keystrokes, resizes), read by the call at its own pace. */
export interface InputQueue<T> extends AsyncIterable<T> {
  push(message: T): void;
  /** Ends the request stream. */
  end(): void;
  /** How many messages wait to be sent: a producer pauses above a few. */
  readonly length: number;
  /** Called each time the call takes a message. */
  onTaken?: () => void;
}

export function createInputQueue<T>(): InputQueue<T> {
  const queued: T[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const queue: InputQueue<T> = {
    push(message) {
      if (ended) return;
      queued.push(message);
      notify();
    },
    end() {
      ended = true;
      notify();
    },
    get length() {
      return queued.length;
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const next = queued.shift();
        if (next !== undefined) {
          queue.onTaken?.();
          yield next;
        } else if (ended) return;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
  return queue;
}
