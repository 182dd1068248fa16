import pino from "pino";
import { describe, expect, it } from "vitest";
import type { ContainerStreams, StatsSample } from "../../src/engine/container-streams.js";
import type { AutoscalePolicy } from "../../src/model/autoscale-policy.js";
import { definitionWithDefaults, type StoredService } from "../../src/model/service-definition.js";
import { createAutoscaler } from "../../src/orchestrator/autoscale/autoscaler.js";
import { withAutoscaleStatus } from "../../src/orchestrator/autoscale/autoscaled-orchestrator.js";
import type { Orchestrator } from "../../src/orchestrator/orchestrator.js";
import type { ContainerStatusView, ServiceStatusView } from "../../src/orchestrator/service-status.js";

const policy: AutoscalePolicy = {
  minReplicas: 1,
  maxReplicas: 4,
  metric: "cpu_percent",
  target: 50,
  query: "",
  // Evaluations are asked for by the test; the timer never fires within it.
  evaluationIntervalMs: 3_600_000,
  cooldownUpMs: 0,
  cooldownDownMs: 0,
  paused: false,
};

/** A registry of one service, an orchestrator that records Scales, and stats the test sets per container. */
function rig(options: { replicas: number; autoscale: AutoscalePolicy; remote?: boolean }) {
  let stored: StoredService = {
    definition: definitionWithDefaults({ name: "web", image: "busybox:1", cpuMillis: 1000 }),
    version: 1,
    replicas: options.replicas,
    createdAt: "",
    updatedAt: "",
    updatePolicy: {} as StoredService["updatePolicy"],
    autoscale: options.autoscale,
  };
  const listeners = new Set<(name: string) => void>();
  const set = (change: Partial<StoredService>) => {
    stored = { ...stored, ...change };
    for (const l of listeners) l("web");
  };
  const cpu = new Map<string, number>();
  const scales: number[] = [];
  const container = (slot: number): ContainerStatusView => ({
    id: `c${slot}`,
    name: `web-${slot}`,
    slot,
    state: "running",
    health: "none",
    ports: [],
    startedAt: new Date(),
    createdAt: new Date(),
    definitionVersion: 1,
    exitCode: 0,
    ...(options.remote && slot > 1 ? { node: { id: `n${slot}`, name: `node-${slot}` } } : {}),
  });
  const streams: Pick<ContainerStreams, "stats"> = {
    async *stats(id) {
      const value = cpu.get(id);
      if (value === undefined) throw new Error(`no such container: ${id}`);
      yield { cpuPercent: value, memoryUsageBytes: 0, memoryLimitBytes: 1 } as StatsSample;
    },
  };
  const autoscaler = createAutoscaler({
    registry: {
      list: () => [stored],
      find: (name) => (name === "web" ? stored : undefined),
      onChange(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    orchestrator: {
      async scale(_name, replicas) {
        scales.push(replicas);
        set({ replicas });
        return {} as ServiceStatusView;
      },
      async status() {
        return {
          containers: Array.from({ length: stored.replicas }, (_, i) => container(i + 1)),
        } as unknown as ServiceStatusView;
      },
    },
    streams,
    prometheusUrl: "",
    logger: pino({ level: "silent" }),
  });
  const told: string[] = [];
  autoscaler.onDecision((service) => told.push(service));
  return { autoscaler, cpu, scales, told, set, get: () => stored };
}

describe("the autoscaler", () => {
  it("scales out on load through the orchestrator, and a person's Scale holds only until the next evaluation", async () => {
    const { autoscaler, cpu, scales, set, told } = rig({ replicas: 1, autoscale: policy });
    cpu.set("c1", 100).set("c2", 0).set("c3", 0).set("c4", 0);
    // Its policy is evaluated at once: one busy replica at twice the target asks for two.
    autoscaler.start();
    const next = await autoscaler.evaluate("web");
    expect(scales).toEqual([2]);
    expect(told).toEqual(["web", "web"]);
    // Then one busy and one idle: the average is the target, and the count holds.
    expect(next).toMatchObject({ from: 2, to: 2, outcome: "within_tolerance", value: 50, samples: 2 });
    expect(autoscaler.lastDecision("web")).toBe(next);
    cpu.set("c2", 100);
    // A person scales to 4; two replicas are busy and two idle: the average is the target.
    set({ replicas: 4 });
    expect(await autoscaler.evaluate("web")).toMatchObject({ from: 4, to: 4, outcome: "within_tolerance" });
    // The busy ones go idle: the next evaluation decides again, down to min.
    cpu.set("c1", 0).set("c2", 0);
    expect(await autoscaler.evaluate("web")).toMatchObject({ from: 4, to: 1, outcome: "scaled" });
    await autoscaler.close();
  });

  it("counts a sample above a replica's CPU limit (a CFS period's jitter) as the limit", async () => {
    const { autoscaler, cpu, scales } = rig({ replicas: 2, autoscale: policy });
    // The limit is one core (100 %): one replica at 113 % of it and one idle sit at the target.
    cpu.set("c1", 113).set("c2", 0);
    autoscaler.start();
    expect(await autoscaler.evaluate("web")).toMatchObject({ value: 50, to: 2, outcome: "within_tolerance" });
    expect(scales).toEqual([]);
    await autoscaler.close();
  });

  it("records the same hold once, and tells listeners only of new decisions", async () => {
    const { autoscaler, cpu, told } = rig({ replicas: 2, autoscale: policy });
    cpu.set("c1", 60).set("c2", 40);
    autoscaler.start();
    await autoscaler.evaluate("web");
    const recorded = autoscaler.lastDecision("web");
    const toldBefore = told.length;
    await autoscaler.evaluate("web");
    expect(autoscaler.lastDecision("web")).toBe(recorded);
    expect(told.length).toBe(toldBefore);
    await autoscaler.close();
  });

  it("does nothing while paused, and says so in its decision", async () => {
    const { autoscaler, cpu, scales, get } = rig({ replicas: 3, autoscale: { ...policy, paused: true } });
    cpu.set("c1", 100).set("c2", 100).set("c3", 100);
    autoscaler.start();
    expect(await autoscaler.evaluate("web")).toBeUndefined();
    expect(scales).toEqual([]);
    expect(get().replicas).toBe(3);
    expect(autoscaler.lastDecision("web")).toMatchObject({ outcome: "paused", from: 3, to: 3 });
    await autoscaler.close();
  });

  it("says which replicas it could not sample (Swarm's other nodes), and forgets a removed policy", async () => {
    const { autoscaler, cpu, set } = rig({ replicas: 2, autoscale: policy, remote: true });
    cpu.set("c1", 50);
    autoscaler.start();
    const decision = await autoscaler.evaluate("web");
    expect(decision?.samples).toBe(1);
    expect(decision?.why).toContain("sampled 1 of 2");
    expect(decision?.why).toContain("other nodes are out of dockhand's reach");
    set({ autoscale: undefined });
    expect(autoscaler.lastDecision("web")).toBeUndefined();
    expect(await autoscaler.evaluate("web")).toBeUndefined();
    await autoscaler.close();
  });
});

describe("the orchestrator clients see", () => {
  it("adds the last decision to status, and hands out the same object for the same view and decision", async () => {
    const { autoscaler, cpu } = rig({ replicas: 1, autoscale: policy });
    cpu.set("c1", 50);
    const view = { name: "web", desired: 1 } as ServiceStatusView;
    const inner = { peekStatus: () => view, status: async () => view, onStatusChange: () => () => undefined };
    const orchestrator = withAutoscaleStatus(inner as unknown as Orchestrator, autoscaler);
    expect(orchestrator.peekStatus("web")).toBe(view);
    autoscaler.start();
    const decision = await autoscaler.evaluate("web");
    const first = orchestrator.peekStatus("web");
    expect(first?.lastAutoscaleDecision).toBe(autoscaler.lastDecision("web"));
    expect(first?.lastAutoscaleDecision?.why).toBe(decision?.why);
    expect(orchestrator.peekStatus("web")).toBe(first);
    expect(await orchestrator.status("web")).toBe(first);
    await autoscaler.close();
  });
});
