/**
 * cold-start: the time from spawning dockhand to its first correct GetStatus: with the
 * fleet's containers on the engine, all of the probed service's containers reported running;
 * on an empty engine (the baseline), any well-formed answer (NOT_FOUND for a name it does not
 * have). Polled every 10 ms once /healthz answers.
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Scaler, type ServiceStatus } from "../../gen/dockhand/v1/scaler_pb.js";
import type { DockhandChild } from "../support.js";

/** Seconds from spawn until `correct` holds for a GetStatus of `service` (or for its error). */
export async function timeToFirstStatus(
  dockhand: DockhandChild,
  service: string,
  correct: (status: ServiceStatus | undefined, error: ConnectError | undefined) => boolean,
  timeoutMs = 120_000,
): Promise<number> {
  const scaler = createClient(Scaler, createGrpcTransport({ baseUrl: dockhand.url }));
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const answer = await scaler.getStatus({ name: service }, { timeoutMs: 10_000 }).then(
      ({ status }) => ({ status, error: undefined }),
      (err: unknown) => ({ status: undefined, error: ConnectError.from(err) }),
    );
    if (correct(answer.status, answer.error)) return (performance.now() - dockhand.spawnedAt) / 1000;
    if (performance.now() > deadline)
      throw new Error(
        `no correct GetStatus of ${service} within ${timeoutMs} ms (last: ${answer.error?.message ?? `${answer.status?.running} running`})`,
      );
    await sleep(10);
  }
}

export const allRunning = (replicas: number) => (status: ServiceStatus | undefined) =>
  status?.running === replicas && status.containers.length === replicas;

export const notFound = (_status: ServiceStatus | undefined, error: ConnectError | undefined) =>
  error?.code === Code.NotFound;
