/**
 * Every service converges: GetStatus reports as many containers running as desired (and no
 * others) for every service, polled until `timeoutMs` after the call.
 */
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import type { Client } from "@connectrpc/connect";
import type { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";

export async function waitForConvergence(
  scaler: Client<typeof Scaler>,
  services: readonly string[],
  timeoutMs: number,
): Promise<{ seconds: number; unsettled: string[] }> {
  const started = performance.now();
  for (;;) {
    const unsettled: string[] = [];
    for (const name of services) {
      const status = await scaler.getStatus({ name }, { timeoutMs: 5000 }).then(
        (answer) => answer.status,
        () => undefined,
      );
      if (!status) unsettled.push(`${name}: no status`);
      else if (status.running !== status.desired || status.containers.length !== status.desired)
        unsettled.push(
          `${name}: ${status.running} running, ${status.containers.length} containers, ${status.desired} desired`,
        );
    }
    const seconds = (performance.now() - started) / 1000;
    if (!unsettled.length || seconds * 1000 > timeoutMs) return { seconds, unsettled };
    await sleep(200);
  }
}
