import { describe, expect, it } from "vitest";
import { toDockerServiceSpec, toSwarmService, toSwarmTask } from "../../src/engine/docker/docker-swarm-mapping.js";
import { parseServiceLogLine } from "../../src/engine/docker/docker-swarm-logs.js";
import { parseSwarmEvent } from "../../src/engine/docker/docker-swarm.js";
import { isDockhandError } from "../../src/model/dockhand-error.js";
import { defaultUpdatePolicy, definitionWithDefaults, type StoredService } from "../../src/model/service-definition.js";
import { checkSwarmDefinition, toSwarmSpec } from "../../src/orchestrator/swarm/swarm-service-spec.js";
import { versionedFileName } from "../../src/orchestrator/swarm/swarm-resources.js";
import { sameSwarmSpec } from "../../src/orchestrator/swarm/swarm-service-writer.js";

function stored(extra: Partial<StoredService["definition"]> = {}, version = 3): StoredService {
  return {
    definition: definitionWithDefaults({
      name: "web",
      image: "dockhand-test/busybox:1",
      command: ["sleep", "3600"],
      ...extra,
    }),
    version,
    replicas: 4,
    createdAt: "2026-01-01T00:00:00Z",
    updatedAt: "2026-01-01T00:00:00Z",
    updatePolicy: {
      ...defaultUpdatePolicy,
      parallelism: 2,
      delayMs: 500,
      order: "start-first",
      failureAction: "rollback",
    },
  };
}

describe("a definition as a Swarm service", () => {
  it("carries dockhand's labels with the instance, on the service and on each task's container", () => {
    const spec = toSwarmSpec(stored({ labels: { team: "a" } }), "inst-1", 4);
    expect(spec.labels).toEqual({
      "dockhand.managed-by": "dockhand",
      "dockhand.instance": "inst-1",
      "dockhand.service": "web",
      "dockhand.definition": "3",
      "dockhand.desired-replicas": "4",
    });
    expect(spec.containerLabels).toMatchObject({ team: "a", "dockhand.instance": "inst-1", "dockhand.service": "web" });
    // The count is on the service only: a scale never changes what its tasks run.
    expect(spec.containerLabels).not.toHaveProperty("dockhand.desired-replicas");
    expect(spec.replicas).toBe(4);
  });

  it("maps limits, restart policy, stop grace and the update policy field for field", () => {
    const spec = toSwarmSpec(
      stored({
        cpuMillis: 500,
        memoryBytes: 1 << 26,
        init: true,
        stopGraceSeconds: 3,
        restart: { mode: "on-failure", maxRetries: 2 },
      }),
      "i",
      1,
    );
    expect(spec).toMatchObject({
      nanoCpus: 500_000_000,
      memoryBytes: 1 << 26,
      init: true,
      stopGraceSeconds: 3,
      restart: { condition: "on-failure", maxAttempts: 2 },
    });
    expect(spec.update).toEqual({
      parallelism: 2,
      delayMs: 500,
      order: "start-first",
      monitorMs: 5000,
      failureAction: "rollback",
    });
    // A rollback never rolls back: it pauses on failure.
    expect(spec.rollback.failureAction).toBe("pause");
    expect(toSwarmSpec(stored({ restart: { mode: "no", maxRetries: 0 } }), "i", 1).restart).toEqual({
      condition: "any",
      maxAttempts: 0,
    });
  });

  it("publishes ports in host mode with dnsrr endpoints, and asks nothing about the image's digest", () => {
    const docker = toDockerServiceSpec(
      toSwarmSpec(stored({ ports: [{ containerPort: 80, protocol: "tcp", hostPort: 0, hostIp: "" }] }), "i", 1),
    );
    expect(docker.EndpointSpec).toEqual({
      Mode: "dnsrr",
      Ports: [{ Protocol: "tcp", TargetPort: 80, PublishedPort: undefined, PublishMode: "host" }],
    });
    expect(docker.TaskTemplate?.ContainerSpec?.Image).toBe("dockhand-test/busybox:1");
  });

  it("reads back as the same spec although Swarm orders fields its own way and leaves out zeros", () => {
    const spec = toSwarmSpec(stored({ environment: { B: "2", A: "1" } }), "i", 4);
    const sent = toDockerServiceSpec(spec);
    const { UpdateConfig, ...rest } = sent;
    const echoed = {
      ...rest,
      UpdateConfig: {
        Order: UpdateConfig!.Order,
        Monitor: UpdateConfig!.Monitor,
        FailureAction: UpdateConfig!.FailureAction,
        Parallelism: UpdateConfig!.Parallelism,
        Delay: UpdateConfig!.Delay,
      },
    };
    const back = toSwarmService({ ID: "s1", Version: { Index: 9 }, Spec: echoed }).spec;
    expect(sameSwarmSpec(back, spec)).toBe(true);
    expect(sameSwarmSpec({ ...back, replicas: 1 }, spec)).toBe(false);
    // The definition label alone differs after a Swarm rollback: the content is the same.
    expect(sameSwarmSpec({ ...back, labels: { ...back.labels, "dockhand.definition": "2" } }, spec)).toBe(true);
  });

  it("carries the workload: volumes (per slot templated by Swarm), tmpfs, binds, read-only root, health, networks by id with the service's alias, secrets and configs by version", () => {
    const def = {
      mounts: [
        { type: "volume", target: "/data", source: "data", perSlot: true, readOnly: false, tmpfsSizeBytes: 0 },
        { type: "volume", target: "/shared", source: "shared", perSlot: false, readOnly: true, tmpfsSizeBytes: 0 },
        { type: "tmpfs", target: "/tmp", source: "", perSlot: false, readOnly: false, tmpfsSizeBytes: 1 << 20 },
        { type: "bind", target: "/host", source: "/srv", perSlot: false, readOnly: true, tmpfsSizeBytes: 0 },
      ],
      readOnlyRootFs: true,
      healthCheck: { test: ["CMD", "true"], intervalMs: 500, timeoutMs: 0, retries: 2, startPeriodMs: 0 },
      networks: ["backend"],
      secrets: [{ name: "db-password", target: "/run/secrets/db", mode: 0o400, uid: 10, gid: 20 }],
      configs: [{ name: "app", target: "/etc/app.conf", mode: 0o444, uid: 0, gid: 0 }],
      fileVersions: { "secret/db-password": 3, "config/app": 1 },
    } as const;
    const ids: Record<string, string> = { backend: "net1", "secret/db-password-v3": "sec3", "config/app-v1": "cfg1" };
    const resolve = { networkId: (n: string) => ids[n], fileId: (k: string, n: string) => ids[`${k}/${n}`] };
    const spec = toSwarmSpec(stored(def as never), "inst", 2, resolve);
    expect(spec.mounts.map((m) => [m.type, m.source, m.readOnly, m.tmpfsSizeBytes])).toEqual([
      ["volume", "web-{{.Task.Slot}}-data", false, 0],
      ["volume", "shared", true, 0],
      ["tmpfs", "", false, 1 << 20],
      ["bind", "/srv", true, 0],
    ]);
    expect(spec.mounts[0]!.volumeLabels).toEqual({
      "dockhand.managed-by": "dockhand",
      "dockhand.instance": "inst",
      "dockhand.service": "web",
      "dockhand.volume": "data",
    });
    expect(spec.networks).toEqual([{ networkId: "net1", aliases: ["web"] }]);
    expect(spec.secrets).toEqual([
      { id: "sec3", name: "db-password-v3", target: "/run/secrets/db", mode: 0o400, uid: 10, gid: 20 },
    ]);
    expect(spec.configs[0]).toMatchObject({ id: "cfg1", name: "app-v1", target: "/etc/app.conf" });
    const docker = toDockerServiceSpec(spec);
    expect(docker.TaskTemplate?.ContainerSpec).toMatchObject({
      ReadOnly: true,
      Healthcheck: { Test: ["CMD", "true"], Interval: 500_000_000, Retries: 2 },
      Secrets: [
        {
          SecretID: "sec3",
          SecretName: "db-password-v3",
          File: { Name: "/run/secrets/db", UID: "10", GID: "20", Mode: 0o400 },
        },
      ],
    });
    expect(JSON.stringify(docker)).not.toMatch(/value/i);
    // Read back as Swarm answers it: the same spec, so the resync writes nothing.
    expect(sameSwarmSpec(toSwarmService({ ID: "s", Spec: JSON.parse(JSON.stringify(docker)) }).spec, spec)).toBe(true);
    expect(
      sameSwarmSpec(
        toSwarmSpec(
          stored({ ...def, fileVersions: { "secret/db-password": 4, "config/app": 1 } } as never),
          "inst",
          2,
          resolve,
        ),
        spec,
      ),
    ).toBe(false);
  });

  it("names a long secret's versions within Swarm's 64 characters, distinct for distinct names", () => {
    expect(versionedFileName("db", 7)).toBe("db-v7");
    const a = versionedFileName(`${"a".repeat(62)}b`, 12);
    const b = versionedFileName(`${"a".repeat(62)}c`, 12);
    expect(a.length).toBeLessThanOrEqual(64);
    expect(a).not.toBe(b);
    expect(a.endsWith("-v12")).toBe(true);
  });

  it("refuses at definition time what only the local orchestrator can run, naming the field", () => {
    const refused = (extra: Partial<StoredService["definition"]>) => {
      try {
        checkSwarmDefinition(stored(extra).definition);
      } catch (err) {
        return isDockhandError(err, "FailedPrecondition") ? String(err.details?.field) : String(err);
      }
      return "accepted";
    };
    expect(refused({ networks: ["container:db"] })).toBe("service.networks[0]");
    expect(refused({ replaceUnhealthy: false })).toBe("service.unhealthy_action");
    expect(
      refused({
        replaceUnhealthy: false,
        healthCheck: { test: ["NONE"], intervalMs: 0, timeoutMs: 0, retries: 0, startPeriodMs: 0 },
      }),
    ).toBe("accepted");
    expect(refused({ networks: ["backend"], mounts: [], readOnlyRootFs: true })).toBe("accepted");
  });
});

describe("the Swarm API's answers", () => {
  it("reads a task's node, slot, container, state and host ports (once per port, not per address family)", () => {
    const task = toSwarmTask({
      ID: "t1",
      ServiceID: "s1",
      Slot: 2,
      NodeID: "n1",
      DesiredState: "running",
      Status: {
        State: "running",
        Timestamp: "2026-01-01T00:00:01Z",
        ContainerStatus: { ContainerID: "c1", ExitCode: 0 },
        PortStatus: {
          Ports: [
            { Protocol: "tcp", TargetPort: 80, PublishedPort: 30001, PublishMode: "host" },
            { Protocol: "tcp", TargetPort: 80, PublishedPort: 30001, PublishMode: "host" },
          ],
        },
      },
    });
    expect(task).toMatchObject({ id: "t1", slot: 2, nodeId: "n1", state: "running", containerId: "c1" });
    expect(task.ports).toEqual([{ containerPort: 80, protocol: "tcp", hostPort: 30001 }]);
  });

  it("parses a service log line with its task and node", () => {
    const line = parseServiceLogLine(
      "stderr",
      "2026-01-01T00:00:02.5Z com.docker.swarm.node.id=n2,com.docker.swarm.service.id=s1,com.docker.swarm.task.id=t9 hello world\n",
    );
    expect(line).toEqual({
      taskId: "t9",
      nodeId: "n2",
      stream: "stderr",
      line: "hello world",
      at: new Date("2026-01-01T00:00:02.5Z"),
    });
  });

  it("keeps service, node and container events and drops the rest", () => {
    expect(
      parseSwarmEvent('{"Type":"service","Action":"update","Actor":{"ID":"s1","Attributes":{"name":"web"}}}'),
    ).toEqual({ type: "service", action: "update", id: "s1", attributes: { name: "web" } });
    expect(parseSwarmEvent('{"Type":"image","Action":"pull","Actor":{"ID":"x"}}')).toBeUndefined();
    expect(parseSwarmEvent("{not json")).toBeUndefined();
  });
});
