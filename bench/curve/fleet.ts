/**
 * The fleet: `services` dockhand services of `replicas` busybox `sleep` containers each,
 * created through dockhand and scaled a few services at a time, stopping early when the
 * machine's free memory would fall below the reserve.
 */
import type { Client } from "@connectrpc/connect";
import type { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import type { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { runBounded } from "../../src/lib/bounded.js";
import { testImage } from "../../test/support/engine.js";
import { availableMb, reserveMb } from "./host-memory.js";

export interface Fleet {
  services: string[];
  replicas: number;
  containers: number;
}

export async function buildFleet(options: {
  registry: Client<typeof ServiceRegistry>;
  scaler: Client<typeof Scaler>;
  prefix: string;
  services: number;
  replicas: number;
  log: (line: string) => void;
}): Promise<Fleet> {
  const { registry, scaler, prefix, replicas, log } = options;
  const names = Array.from({ length: options.services }, (_, i) => `${prefix}-s${i}`);
  const built: string[] = [];
  let lowMemory = false;
  const failure = await runBounded(
    names,
    4,
    async (name) => {
      await registry.createService({ service: { name, image: testImage, command: ["sleep", "3600"], init: true } });
      await scaler.scale({ name, replicas, wait: true }, { timeoutMs: 300_000 });
      built.push(name);
      if (built.length % 20 === 0)
        log(
          `  fleet: ${built.length} services, ${built.length * replicas} containers; ${Math.round(availableMb())} MB available`,
        );
      if (availableMb() < reserveMb + 512) lowMemory = true;
    },
    () => !lowMemory,
  );
  if (failure) throw failure;
  if (lowMemory)
    log(`  fleet: stopped at ${built.length} services, as free memory came near the ${reserveMb} MB reserve`);
  return { services: built, replicas, containers: built.length * replicas };
}
