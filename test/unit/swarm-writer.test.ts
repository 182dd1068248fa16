import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { SwarmEngine, SwarmService, SwarmServiceSpec } from "../../src/engine/swarm.js";
import { DockhandError, isDockhandError } from "../../src/model/dockhand-error.js";
import { defaultUpdatePolicy, definitionWithDefaults, type StoredService } from "../../src/model/service-definition.js";
import { createSwarmServiceWriter } from "../../src/orchestrator/swarm/swarm-service-writer.js";
import type { SwarmTaskView } from "../../src/orchestrator/swarm/swarm-task-view.js";

const logger = pino({ level: "silent" });
const stored = (replicas: number): StoredService => ({
  definition: definitionWithDefaults({ name: "web", image: "dockhand-test/busybox:1" }),
  version: 1,
  replicas,
  createdAt: "",
  updatedAt: "",
  updatePolicy: defaultUpdatePolicy,
});

/** A manager holding one service, whose updates another writer wins `racesLost` times first. */
function fakeSwarm(racesLost: number) {
  let service: SwarmService | undefined;
  const updates: Array<{ version: number; replicas: number; rollback: boolean }> = [];
  const swarm = {
    services: {
      async inspect() {
        if (!service) throw new DockhandError("NotFound", "no such service");
        return service;
      },
      async create(spec: SwarmServiceSpec) {
        service = { id: "s1", version: 1, spec, createdAt: new Date(), updatedAt: new Date() };
        return "s1";
      },
      async update(_id: string, version: number, spec: SwarmServiceSpec, options: { rollback?: boolean } = {}) {
        if (!service) throw new DockhandError("NotFound", "no such service");
        if (racesLost-- > 0) {
          // Someone else's update landed first: the version moved on.
          service = { ...service, version: service.version + 1 };
          throw new DockhandError("Conflict", "update out of sequence");
        }
        if (version !== service.version) throw new DockhandError("Conflict", "stale version");
        updates.push({ version, replicas: spec.replicas, rollback: !!options.rollback });
        service = { ...service, version: version + 1, spec };
      },
    },
  } as unknown as SwarmEngine;
  return { swarm, updates, current: () => service };
}

const view = { refresh: async () => undefined } as unknown as SwarmTaskView;

describe("writing a definition to Swarm", () => {
  it("creates the service when there is none, then updates only what changed", async () => {
    const fake = fakeSwarm(0);
    const writer = createSwarmServiceWriter({ swarm: fake.swarm, view, instance: "i", logger });
    expect(await writer.write(stored(2), "scale")).toBe("created");
    expect(await writer.write(stored(2), "drift")).toBe("unchanged");
    expect(await writer.write(stored(5), "scale")).toBe("updated");
    expect(fake.current()?.spec.replicas).toBe(5);
  });

  it("retries an update that lost a race, at the version it reads again, and loses no count", async () => {
    const fake = fakeSwarm(2);
    const writer = createSwarmServiceWriter({ swarm: fake.swarm, view, instance: "i", logger });
    await writer.write(stored(1), "scale");
    expect(await writer.write(stored(7), "scale")).toBe("updated");
    expect(fake.updates).toEqual([{ version: 3, replicas: 7, rollback: false }]);
  });

  it("answers Aborted after losing every race", async () => {
    const fake = fakeSwarm(100);
    const writer = createSwarmServiceWriter({ swarm: fake.swarm, view, instance: "i", logger, conflictRetries: 3 });
    await writer.write(stored(1), "scale");
    const failure = await writer.write(stored(7), "scale").catch((err: unknown) => err);
    expect(isDockhandError(failure, "Aborted")).toBe(true);
    expect(fake.updates).toEqual([]);
  });

  it("refuses a service of the same name that another dockhand owns", async () => {
    const fake = fakeSwarm(0);
    await createSwarmServiceWriter({ swarm: fake.swarm, view, instance: "other", logger }).write(stored(1), "scale");
    const failure = await createSwarmServiceWriter({ swarm: fake.swarm, view, instance: "mine", logger })
      .write(stored(1), "scale")
      .catch((err: unknown) => err);
    expect(isDockhandError(failure, "AlreadyExists")).toBe(true);
  });
});
