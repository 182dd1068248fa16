/** Timing, counting and debug logging of every engine call, wrapped around any Engine. */
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
  /**
   * Called as each call starts (tracing on): starts its span and returns what ends it, given the
   * call's error when it failed. Default: nothing.
   */
  span?: (operation: string, containerId: string | undefined) => ((err?: unknown) => void) | undefined;
}

/**
 * Each group method's operation name in logs and metrics: the name it had before the engine was
 * grouped by resource, so that dashboards and alerts keep their series.
 */
const operationNames: Record<string, Record<string, string>> = {
  containers: {
    list: "listContainers",
    inspect: "inspectContainer",
    describe: "describeContainer",
    describeMany: "describeContainers",
    create: "createContainer",
    start: "startContainer",
    stop: "stopContainer",
    restart: "restartContainer",
    kill: "killContainer",
    pause: "pauseContainer",
    unpause: "unpauseContainer",
    wait: "waitContainer",
    remove: "removeContainer",
    rename: "renameContainer",
    copyFiles: "copyFilesToContainer",
    commit: "commitContainer",
    logs: "containerLogs",
    stats: "containerStats",
    exec: "execInContainer",
    openExec: "openExecSession",
    attach: "attachContainer",
    putArchive: "putArchive",
    getArchive: "getArchive",
    statPath: "statPath",
  },
  images: {
    inspect: "inspectImage",
    describe: "getImage",
    list: "listImages",
    remove: "removeImage",
    tag: "tagImage",
    pull: "pullImage",
    push: "pushImage",
    load: "loadImage",
  },
  volumes: { create: "createVolume", inspect: "inspectVolume", list: "listVolumes", remove: "removeVolume" },
  networks: {
    create: "createNetwork",
    inspect: "inspectNetwork",
    list: "listNetworks",
    remove: "removeNetwork",
    connect: "connectNetwork",
    disconnect: "disconnectNetwork",
  },
  events: { watch: "watchEvents", logged: "loggedEvents" },
  system: { ping: "ping", info: "engineInfo" },
  // The Swarm API of a manager (engine/swarm.ts), instrumented the same way.
  services: {
    list: "listSwarmServices",
    inspect: "inspectSwarmService",
    create: "createSwarmService",
    update: "updateSwarmService",
    remove: "removeSwarmService",
  },
  tasks: { list: "listSwarmTasks" },
  nodes: { list: "listSwarmNodes" },
};

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
 * Wraps every method of every group of an engine (`containers`, `images` ...) so that each
 * call is timed, counted and logged. Methods are found at run time, so a method added to a
 * group later is covered too; a method returning an async iterable is followed until the
 * stream ends. Members that are not groups are kept as they are.
 */
export function instrumentEngine<E extends object>(engine: E, options: InstrumentOptions): E {
  const { logger } = options;

  function settle(operation: string, args: unknown[], started: number, err?: unknown): void {
    const seconds = (performance.now() - started) / 1000;
    const outcome = err === undefined ? "ok" : isDockhandError(err) ? err.kind : "error";
    options.onCall?.({ operation, seconds, outcome });
    if (!logger.isLevelEnabled("debug")) return;
    const fields = {
      ...options.context?.(),
      operation,
      containerId: containerOf(args),
      durationMs: Math.round(seconds * 10000) / 10,
      outcome,
    };
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

  function wrap(
    operation: string,
    method: (...args: unknown[]) => unknown,
    self: object,
  ): (...args: unknown[]) => unknown {
    return (...args) => {
      const started = performance.now();
      const endSpan = options.span?.(operation, containerOf(args));
      let result: unknown;
      try {
        result = method.apply(self, args);
      } catch (err) {
        settle(operation, args, started, err);
        endSpan?.(err);
        throw err;
      }
      if (isPromise(result)) {
        return result.then(
          (value) => (settle(operation, args, started), endSpan?.(), value),
          (err: unknown) => {
            settle(operation, args, started, err);
            endSpan?.(err);
            throw err;
          },
        );
      }
      settle(operation, args, started);
      endSpan?.();
      return isAsyncIterable(result) ? follow(operation, result) : result;
    };
  }

  function wrapGroup(group: string, members: object): object {
    const names = operationNames[group] ?? {};
    const wrapped: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(members)) {
      wrapped[key] =
        typeof value === "function"
          ? wrap(names[key] ?? `${group}.${key}`, value as (...args: unknown[]) => unknown, members)
          : value;
    }
    return wrapped;
  }

  const wrapped = {} as E;
  for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(engine))) {
    if (key in operationNames && typeof descriptor.value === "object" && descriptor.value !== null) {
      descriptor.value = wrapGroup(key, descriptor.value as object);
    }
    Object.defineProperty(wrapped, key, descriptor);
  }
  return wrapped;
}
