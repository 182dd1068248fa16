import type { Logger } from "pino";
import { isDockhandError } from "../model/dockhand-error.js";

export interface EngineCallRecord {
  /** The engine method, e.g. `startContainer`. */
  operation: string;
  seconds: number;
  /** "ok", or the error's kind (NotFound, Unavailable ...). */
  outcome: string;
}

export interface InstrumentOptions {
  /** Every call is logged at debug level with its container id, when debug is enabled. */
  logger: Logger;
  /** Fields added to each log line, e.g. the request id of the RPC being served. Default none. */
  context?: () => Record<string, unknown> | undefined;
  /** Called when each call settles (a method returning a stream: when it returned it). Default: nothing. */
  onCall?: (record: EngineCallRecord) => void;
  /** Called with +1 when a stream (async iterable) opens and -1 when it ends. Default: nothing. */
  onStream?: (operation: string, delta: 1 | -1) => void;
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | undefined)?.then === "function";
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as AsyncIterable<unknown> | undefined)?.[Symbol.asyncIterator] === "function";
}

/** The container a call is about: the id most methods take first, or the name of a create. */
function containerOf(args: unknown[]): string | undefined {
  const first = args[0];
  if (typeof first === "string") return first;
  const name = (first as { name?: unknown } | undefined)?.name;
  return typeof name === "string" && name !== "" ? name : undefined;
}

/**
 * Wraps every method of an engine object so that each call is timed, counted and logged.
 * Methods are found at run time, so an engine concern added later is covered too; a method
 * returning an async iterable is followed until the stream ends.
 */
export function instrumentEngine<E extends object>(engine: E, options: InstrumentOptions): E {
  const { logger } = options;

  function settle(operation: string, args: unknown[], started: number, err?: unknown): void {
    const seconds = (performance.now() - started) / 1000;
    const outcome = err === undefined ? "ok" : isDockhandError(err) ? err.kind : "error";
    options.onCall?.({ operation, seconds, outcome });
    if (!logger.isLevelEnabled("debug")) return;
    const fields = { ...options.context?.(), operation, containerId: containerOf(args), durationMs: Math.round(seconds * 10000) / 10, outcome };
    logger.debug(err === undefined ? fields : { ...fields, error: (err as Error).message }, "engine call");
  }

  /** Not an async generator: its return() would wait behind a pending read of a quiet stream. */
  function follow(operation: string, stream: AsyncIterable<unknown>): AsyncIterable<unknown> {
    return {
      [Symbol.asyncIterator]() {
        const iterator = stream[Symbol.asyncIterator]();
        let open = true;
        const close = () => {
          if (open) options.onStream?.(operation, -1);
          open = false;
        };
        options.onStream?.(operation, 1);
        const settled = async (step: Promise<IteratorResult<unknown>>) => {
          try {
            const result = await step;
            if (result.done) close();
            return result;
          } catch (err) {
            close();
            throw err;
          }
        };
        return {
          next: (...args: [] | [unknown]) => settled(iterator.next(...args)),
          return: (value?: unknown) => {
            close();
            return iterator.return ? iterator.return(value) : Promise.resolve({ done: true as const, value });
          },
          throw: (err?: unknown) => settled(iterator.throw ? iterator.throw(err) : Promise.reject(err)),
        };
      },
    };
  }

  function wrap(operation: string, method: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
    return (...args) => {
      const started = performance.now();
      let result: unknown;
      try {
        result = method.apply(engine, args);
      } catch (err) {
        settle(operation, args, started, err);
        throw err;
      }
      if (isPromise(result)) {
        return result.then(
          (value) => (settle(operation, args, started), value),
          (err: unknown) => {
            settle(operation, args, started, err);
            throw err;
          },
        );
      }
      settle(operation, args, started);
      return isAsyncIterable(result) ? follow(operation, result) : result;
    };
  }

  const wrapped = {} as E;
  for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(engine))) {
    if (typeof descriptor.value === "function") {
      descriptor.value = wrap(key, descriptor.value as (...args: unknown[]) => unknown);
    }
    Object.defineProperty(wrapped, key, descriptor);
  }
  return wrapped;
}
