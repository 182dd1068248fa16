import { AsyncLocalStorage } from "node:async_hooks";

export interface RequestContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** The context of the RPC being served, for log lines written far below the handler. */
export function currentRequest(): RequestContext | undefined {
  return storage.getStore();
}

export function runInRequest<T>(context: RequestContext, run: () => T): T {
  return storage.run(context, run);
}

/**
 * A stream's messages are produced when the framework pulls them, outside the call that
 * started the handler; each pull is run in the request's context again.
 */
export function iterateInRequest<T>(context: RequestContext, messages: AsyncIterable<T>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator]() {
      const iterator = messages[Symbol.asyncIterator]();
      return {
        next: (...args: [] | [unknown]) => storage.run(context, () => iterator.next(...args)),
        return: (value?: unknown) =>
          storage.run(
            context,
            () => iterator.return?.(value) ?? Promise.resolve({ done: true as const, value: undefined }),
          ),
        throw: (err?: unknown) => storage.run(context, () => iterator.throw?.(err) ?? Promise.reject(err)),
      };
    },
  };
}
