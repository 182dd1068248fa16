import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { UpdateState } from "../../gen/dockhand/v1/service_pb.js";
import { testImage } from "../../test/support/engine.js";

export interface CanaryPromoteFigures {
  /** Seconds from Promote to every replica on the new version. */
  promote: number[];
  /** Seconds from UpdateService to the same, by today's rolling update (no canary), same service and policy. */
  rolling: number[];
}

/**
 * canary-promote: one service of `replicas` containers, updated `rounds` times each way with the
 * same update policy (batches of 2, a short health gate): a plain rolling update timed from
 * UpdateService to COMPLETED, and a canary update timed from Promote (once the canary waits) to
 * COMPLETED. Rounds alternate, so a machine that slows down bends both alike.
 */
export async function measureCanaryPromote(options: {
  url: string;
  name: string;
  replicas: number;
  rounds: number;
  log: (line: string) => void;
}): Promise<CanaryPromoteFigures> {
  const transport = createConnectTransport({ baseUrl: options.url, httpVersion: "1.1" });
  const registry = createClient(ServiceRegistry, transport);
  const scaler = createClient(Scaler, transport);
  const { name } = options;
  const policy = {
    parallelism: 2,
    minHealthyTime: { seconds: 0n, nanos: 500_000_000 },
    monitor: { seconds: 0n, nanos: 200_000_000 },
  };
  let revision = 0;
  const service = (canary: number) => ({
    name,
    image: testImage,
    command: ["sleep", "3600"],
    init: true,
    environment: { REVISION: String(++revision) },
    updateConfig: { ...policy, canary },
  });
  const state = async () => (await scaler.getStatus({ name })).status?.update;
  async function until(check: () => Promise<boolean>): Promise<number> {
    const started = performance.now();
    while (!(await check())) {
      if (performance.now() - started > 300_000) throw new Error("bench: the update did not end within 5 minutes");
      await sleep(20);
    }
    return performance.now();
  }

  await registry.createService({ service: service(0) });
  await scaler.scale({ name, replicas: options.replicas });
  const figures: CanaryPromoteFigures = { promote: [], rolling: [] };
  for (let round = 1; round <= options.rounds; round++) {
    const rollingStart = performance.now();
    await registry.updateService({ service: service(0), waitForRollout: true });
    figures.rolling.push((performance.now() - rollingStart) / 1000);

    await registry.updateService({ service: service(1) });
    await until(async () => (await state())?.message === "canaries ready: waiting for Scaler.Promote");
    const promoted = performance.now();
    await scaler.promote({ name });
    const done = await until(async () => (await state())?.state === UpdateState.COMPLETED);
    figures.promote.push((done - promoted) / 1000);
    options.log(
      `  round ${round}: rolling update ${figures.rolling.at(-1)!.toFixed(2)} s, Promote to completed ${figures.promote.at(-1)!.toFixed(2)} s`,
    );
  }
  await registry.deleteService({ name, force: true });
  return figures;
}
