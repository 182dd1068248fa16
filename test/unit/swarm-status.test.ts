import { describe, expect, it } from "vitest";
import type { SwarmNodeInfo, SwarmService, SwarmTask } from "../../src/engine/swarm.js";
import { defaultUpdatePolicy, definitionWithDefaults, type StoredService } from "../../src/model/service-definition.js";
import { buildStatus } from "../../src/orchestrator/swarm/swarm-status.js";

const at = new Date("2026-01-01T00:00:10Z");
const node = (id: string, state: SwarmNodeInfo["state"]): SwarmNodeInfo => ({
  id,
  hostname: `host-${id}`,
  state,
  availability: "active",
  role: "worker",
  address: "",
});
const task = (id: string, slot: number, nodeId: string, extra: Partial<SwarmTask> = {}): SwarmTask => ({
  id,
  serviceId: "s1",
  slot,
  nodeId,
  desiredState: "running",
  state: "running",
  message: "",
  error: "",
  containerId: `c-${id}`,
  exitCode: 0,
  containerLabels: { "dockhand.definition": "2" },
  ports: [],
  createdAt: at,
  stateAt: at,
  ...extra,
});
const stored = (rollout?: StoredService["rollout"]): StoredService => ({
  definition: definitionWithDefaults({ name: "web", image: "img" }),
  version: 2,
  replicas: 3,
  createdAt: "",
  updatedAt: "",
  updatePolicy: defaultUpdatePolicy,
  ...(rollout ? { rollout } : {}),
});

describe("status from Swarm's tasks", () => {
  it("carries a condition per slot that runs no task, from its tasks' errors, and none for a slot that runs again", () => {
    const nodes = new Map([["n1", node("n1", "ready")]]);
    const now = new Date();
    const earlier = new Date(now.getTime() - 5000);
    const tasks = [
      task("a", 1, "n1", {
        state: "rejected",
        desiredState: "shutdown",
        error: "No such image: img:1",
        stateAt: earlier,
      }),
      task("b", 1, "n1", { state: "rejected", error: "No such image: img:1", stateAt: now }),
      task("c", 2, "n1", {
        state: "failed",
        desiredState: "shutdown",
        error: "Bind for 0.0.0.0:80 failed: port is already allocated",
        stateAt: now,
      }),
      task("d", 2, "n1", { state: "running", stateAt: now }),
      task("e", 3, "n1", { state: "rejected", error: "invalid mount config", stateAt: now }),
    ];
    const status = buildStatus(stored(), undefined, tasks, nodes);
    expect(status.conditions.map((c) => [c.type, c.slot, c.count])).toEqual([
      ["image_pull_failed", 1, 2],
      ["task_failed", 3, 1],
    ]);
    const pull = status.conditions[0]!;
    expect(pull.message).toBe("No such image: img:1");
    expect(pull.firstSeenAt).toEqual(earlier);
    expect(pull.lastSeenAt).toEqual(now);
  });

  it("shows each task with its node, and does not count the tasks of a node that stopped answering", () => {
    const nodes = new Map([
      ["n1", node("n1", "ready")],
      ["n2", node("n2", "down")],
    ]);
    const tasks = [
      task("a", 1, "n1"),
      task("b", 2, "n2"),
      task("c", 3, "n1", { state: "preparing" }),
      task("old", 1, "n1", { desiredState: "shutdown", state: "shutdown" }),
    ];
    const status = buildStatus(stored(), undefined, tasks, nodes);
    expect(status.running).toBe(1);
    expect(status.containers.map((c) => [c.slot, c.state, c.node?.name])).toEqual([
      [1, "running", "host-n1"],
      [2, "unknown", "host-n2"],
      [3, "created", "host-n1"],
    ]);
    expect(status.containers[0]).toMatchObject({ id: "c-a", name: "web.1.a", definitionVersion: 2 });
  });

  it("reads the rollout's state from Swarm's UpdateStatus", () => {
    const rollout = {
      state: "updating" as const,
      message: "",
      fromVersion: 1,
      toVersion: 2,
      startedAt: "2026-01-01T00:00:00Z",
    };
    const service = (state: NonNullable<SwarmService["updateStatus"]>["state"]): SwarmService => ({
      id: "s1",
      version: 5,
      spec: { labels: {} } as unknown as SwarmService["spec"],
      createdAt: at,
      updatedAt: at,
      updateStatus: {
        state,
        message: `swarm says ${state}`,
        startedAt: new Date("2026-01-01T00:00:01Z"),
        completedAt: at,
      },
    });
    const nodes = new Map([["n1", node("n1", "ready")]]);
    const of = (state: Parameters<typeof service>[0]) =>
      buildStatus(stored(rollout), service(state), [], nodes).rollout;
    expect(of("updating")?.state).toBe("updating");
    expect(of("paused")).toMatchObject({ state: "paused", message: "swarm says paused" });
    expect(of("rollback_started")?.state).toBe("rolling_back");
    expect(of("rollback_completed")).toMatchObject({ state: "rolled_back", endedAt: at.toISOString() });
    expect(of("completed")).toMatchObject({ state: "completed", endedAt: at.toISOString() });
  });
});
