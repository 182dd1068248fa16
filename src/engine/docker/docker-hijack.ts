import type { Duplex } from "node:stream";
import type Docker from "dockerode";

export interface HijackRequest {
  /** API path, without the query. */
  path: string;
  query?: Record<string, string | number | boolean>;
  body?: object;
  signal?: AbortSignal;
}

/**
 * Opens a POST that the engine upgrades to a raw two-way connection (exec start, container
 * attach): the socket carries the process's stdin one way and its output the other. Called
 * through docker-modem's dial so that TLS and the socket path are the engine client's own.
 */
export function hijack(docker: Docker, request: HijackRequest): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const dial = docker.modem.dial.bind(docker.modem) as (
      opts: object,
      cb: (err: unknown, data: unknown) => void,
    ) => void;
    const hasQuery = request.query !== undefined;
    dial(
      {
        path: hasQuery ? `${request.path}?` : request.path,
        method: "POST",
        options: { _query: request.query ?? {}, _body: request.body ?? {} },
        isStream: true,
        allowEmpty: true,
        hijack: true,
        openStdin: true,
        abortSignal: request.signal,
        statusCodes: {
          200: true,
          101: true,
          400: "bad parameter",
          404: "no such container",
          409: "conflict",
          500: "server error",
        },
      },
      (err, data) => (err ? reject(err) : resolve(data as Duplex)),
    );
  });
}
