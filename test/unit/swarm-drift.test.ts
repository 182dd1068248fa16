import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { SwarmEngine, SwarmService, SwarmServiceSpec } from "../../src/engine/swarm.js";
import { DockhandError } from "../../src/model/dockhand-error.js";
import { defaultUpdatePolicy, definitionWithDefaults, type StoredService } from "../../src/model/service-definition.js";
import { createDriftRecord } from "../../src/orchestrator/swarm/drift-record.js";
import { describeDrift } from "../../src/orchestrator/swarm/swarm-drift.js";
import { toSwarmSpec } from "../../src/orchestrator/swarm/swarm-service-spec.js";
import { createSwarmServiceWriter } from "../../src/orchestrator/swarm/swarm-service-writer.js";
import type { SwarmTaskView } from "../../src/orchestrator/swarm/swarm-task-view.js";
import { statusToProto } from "../../src/rpc/scaler/status-mapping.js";

const logger = pino({ level: "silent" });
const stored = (replicas: number, version = 1, environment: Record<string, string> = {}): StoredService => ({
  definition: definitionWithDefaults({ name: "web", image: "dockhand-test/busybox:1", environment }),
  version,
  replicas,
  createdAt: "",
  updatedAt: "",
  updatePolicy: defaultUpdatePolicy,
});
const serviceOf = (spec: SwarmServiceSpec, extra: Partial<SwarmService> = {}): SwarmService => ({
  id: "s1",
  version: 7,
  spec,
  createdAt: new Date(),
  updatedAt: new Date(),
  ...extra,
});
/** What `docker service scale web=<n>` leaves: the count changed, dockhand's labels as they were. */
const scaledOutside = (spec: SwarmServiceSpec, replicas: number): SwarmServiceSpec => ({ ...spec, replicas });

describe("what counts as drift of a Swarm service", () => {
  const written = toSwarmSpec(stored(3), "i", 3);

  it("a count other than the one dockhand wrote, said with the count dockhand wants", () => {
    expect(describeDrift(stored(3), serviceOf(scaledOutside(written, 1)), "i", true)).toBe(
      "the Swarm service was scaled to 1 outside dockhand (desired 3)",
    );
  });

  it("a service dockhand saw that is gone; but not one it never saw", () => {
    expect(describeDrift(stored(3), undefined, "i", true)).toBe("the Swarm service was removed outside dockhand");
    expect(describeDrift(stored(0), undefined, "i", false)).toBeUndefined();
  });

  it("a spec changed outside dockhand, naming the fields", () => {
    const changed = { ...written, env: { INJECTED: "1" }, image: "other:1" };
    expect(describeDrift(stored(3), serviceOf(changed), "i", true)).toBe(
      "the Swarm service's env, image were changed outside dockhand",
    );
  });

  it("not a write of dockhand's own that is still on its way: a Scale or a new definition", () => {
    expect(describeDrift(stored(3), serviceOf(written), "i", true)).toBeUndefined();
    // The registry already says 5; the service still has the 3 dockhand wrote with its label.
    expect(describeDrift(stored(5), serviceOf(written), "i", true)).toBeUndefined();
    // Version 2 stored, version 1 on the service: a rollout not yet written.
    expect(describeDrift(stored(3, 2, { RELEASE: "two" }), serviceOf(written), "i", true)).toBeUndefined();
  });

  it("not the spec Swarm keeps while it rolls a failed update back", () => {
    const rollingBack = serviceOf(
      { ...written, env: { OLD: "1" } },
      { updateStatus: { state: "rollback_started", message: "" } },
    );
    expect(describeDrift(stored(3), rollingBack, "i", true)).toBeUndefined();
  });
});

/** A manager holding one service that anyone may change. */
function fakeSwarm() {
  let service: SwarmService | undefined;
  const swarm = {
    services: {
      async inspect() {
        if (!service) throw new DockhandError("NotFound", "no such service");
        return service;
      },
      async create(spec: SwarmServiceSpec) {
        service = serviceOf(spec, { version: 1 });
        return "s1";
      },
      async update(_id: string, version: number, spec: SwarmServiceSpec) {
        if (!service || version !== service.version) throw new DockhandError("Conflict", "update out of sequence");
        service = { ...service, version: version + 1, spec };
      },
    },
  } as unknown as SwarmEngine;
  return {
    swarm,
    current: () => service,
    change: (spec: SwarmServiceSpec | undefined) => {
      service = spec && service ? { ...service, version: service.version + 1, spec } : undefined;
    },
  };
}

const view = { refresh: async () => undefined } as unknown as SwarmTaskView;

describe("the drift a write finds and repairs", () => {
  it("records a scale outside dockhand, then its repair, and tells whoever shows status", async () => {
    const fake = fakeSwarm();
    const changed: string[] = [];
    const drifts = createDriftRecord({ onChange: (name) => changed.push(name) });
    const writer = createSwarmServiceWriter({ swarm: fake.swarm, view, instance: "i", logger, drifts });
    await writer.write(stored(3), "scale");
    drifts.saw("web");
    expect(await writer.write(stored(3), "drift")).toBe("unchanged");
    expect(drifts.latest("web", 1)).toBeUndefined();

    fake.change(scaledOutside(fake.current()!.spec, 1));
    expect(await writer.write(stored(3), "drift")).toBe("updated");
    expect(fake.current()?.spec.replicas).toBe(3);
    const drift = drifts.latest("web", 1)!;
    expect(drift.what).toBe("the Swarm service was scaled to 1 outside dockhand (desired 3)");
    expect(drift.repairedAt!.getTime()).toBeGreaterThanOrEqual(drift.detectedAt.getTime());
    expect(changed).toEqual(["web", "web"]);
    drifts.close();
  });

  it("records a removal outside dockhand, and recreates the service", async () => {
    const fake = fakeSwarm();
    const drifts = createDriftRecord({ onChange: () => undefined });
    const writer = createSwarmServiceWriter({ swarm: fake.swarm, view, instance: "i", logger, drifts });
    await writer.write(stored(2), "scale");
    drifts.saw("web");
    fake.change(undefined);
    expect(await writer.write(stored(2), "drift")).toBe("created");
    expect(drifts.latest("web", 1)).toMatchObject({
      what: "the Swarm service was removed outside dockhand",
      repairedAt: expect.any(Date),
    });
    drifts.close();
  });

  it("records nothing for a service created for a new definition", async () => {
    const fake = fakeSwarm();
    const drifts = createDriftRecord({ onChange: () => undefined });
    const writer = createSwarmServiceWriter({ swarm: fake.swarm, view, instance: "i", logger, drifts });
    expect(await writer.write(stored(0), "drift")).toBe("created");
    expect(drifts.latest("web", 1)).toBeUndefined();
    drifts.close();
  });
});

describe("the drift record", () => {
  afterEach(() => vi.useRealTimers());

  it("keeps a drift found again before its repair at the time it was first found", () => {
    let clock = 1_000;
    const drifts = createDriftRecord({ onChange: () => undefined, now: () => new Date(clock) });
    drifts.detected("web", "scaled", 1);
    clock = 2_000;
    drifts.detected("web", "scaled", 1);
    expect(drifts.latest("web", 1)?.detectedAt.getTime()).toBe(1_000);
    drifts.repaired("web");
    clock = 3_000;
    // Found again after its repair: a new drift.
    drifts.detected("web", "scaled", 1);
    expect(drifts.latest("web", 1)).toEqual({ what: "scaled", detectedAt: new Date(3_000) });
    drifts.close();
  });

  it("shows a drift until the definition changes", () => {
    const drifts = createDriftRecord({ onChange: () => undefined });
    drifts.detected("web", "scaled", 1);
    expect(drifts.latest("web", 1)?.what).toBe("scaled");
    expect(drifts.latest("web", 2)).toBeUndefined();
    drifts.close();
  });

  it("drops a drift after keepMs and says so, so a cached status or a watch drops it too", () => {
    vi.useFakeTimers();
    const changed: string[] = [];
    const drifts = createDriftRecord({ onChange: (name) => changed.push(name), keepMs: 60_000 });
    drifts.detected("web", "scaled", 1);
    vi.advanceTimersByTime(60_000);
    expect(drifts.latest("web", 1)).toBeUndefined();
    expect(changed).toEqual(["web", "web"]);
    drifts.close();
  });

  it("forgets a deleted service: one made again under its name is not taken as removed", () => {
    const drifts = createDriftRecord({ onChange: () => undefined });
    drifts.saw("web");
    drifts.detected("web", "scaled", 1);
    drifts.forget("web");
    expect(drifts.existed("web")).toBe(false);
    expect(drifts.latest("web", 1)).toBeUndefined();
    drifts.close();
  });
});

describe("drift in the status message", () => {
  const base = {
    name: "web",
    desired: 3,
    running: 3,
    paused: 0,
    version: 1,
    containers: [],
    crashLooping: false,
    failures: [],
    conditions: [],
  };

  it("carries what drifted and when it was found and repaired, and is unset when nothing drifted", () => {
    const detectedAt = new Date("2026-01-01T00:00:01Z");
    const repairedAt = new Date("2026-01-01T00:00:02Z");
    const message = statusToProto({
      ...base,
      drift: { what: "the Swarm service was removed outside dockhand", detectedAt, repairedAt },
    });
    expect(message.drift?.what).toBe("the Swarm service was removed outside dockhand");
    expect(timestampDate(message.drift!.detectedTime!)).toEqual(detectedAt);
    expect(timestampDate(message.drift!.repairedTime!)).toEqual(repairedAt);
    expect(statusToProto({ ...base, drift: { what: "x", detectedAt } }).drift?.repairedTime).toBeUndefined();
    expect(statusToProto(base).drift).toBeUndefined();
  });
});
