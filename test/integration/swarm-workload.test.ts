import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  ContainerState,
  HealthStatus,
  Scaler,
  ScaleWaitFor,
  type ServiceStatus,
} from "../../gen/dockhand/v1/scaler_pb.js";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { ServiceMountType, UpdateState } from "../../gen/dockhand/v1/service_pb.js";
import { clientFor } from "../support/clients.js";
import { until } from "../support/until.js";
import { failureOf } from "../support/failure.js";
import { useSwarmServer } from "../support/swarm/swarm-server.js";
import { testImage } from "../support/engine.js";
import { bufBin, debianPython, run } from "../support/run.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Serves its own hostname (the container id's first 12 characters) on port 8080. */
const serveHostname = [
  "sh",
  "-c",
  "mkdir -p /tmp/www && hostname > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www",
];
const fastCheck = { command: ["true"], interval: { nanos: 200_000_000 } };

/** The whole definition on the three-node test swarm: volumes, overlay networks, secrets, configs, health. */
describe("swarm workload on three nodes", () => {
  const fixture = useSwarmServer();
  const scaler = () => clientFor(Scaler, fixture.server.url);
  const registry = () => clientFor(ServiceRegistry, fixture.server.url);
  const status = async (name: string) => (await scaler().getStatus({ name })).status!;
  const running = (s: ServiceStatus) => s.containers.filter((c) => c.state === ContainerState.RUNNING);
  const nodeOf = (hostname: string) => fixture.swarm.nodes.find((n) => n.hostname === hostname)!;
  /** Runs argv in a task's container, on the node it runs on. */
  const exec = (c: { nodeName: string; id: string }, ...argv: string[]) =>
    nodeOf(c.nodeName)
      .docker(["exec", c.id, ...argv])
      .then((out) => out.trim());
  const base = { image: testImage, init: true, stopGracePeriod: { seconds: 1n } };
  /**
   * What dockhand wrote reads back from Swarm as the same spec: a Scale to the same count writes
   * nothing (the service's version stays), and status sees no drift.
   */
  const expectSpecStable = async (name: string, replicas: number) => {
    const version = () => fixture.swarm.manager.docker(["service", "inspect", "--format", "{{.Version.Index}}", name]);
    const before = await version();
    await scaler().scale({ name, replicas });
    expect(await version()).toBe(before);
    expect((await status(name)).drift).toBeUndefined();
  };

  it("mounts per-slot and named volumes (labelled on the node), tmpfs with its size and a read-only root; a moved slot starts empty on its new node", async () => {
    const name = fixture.service("vol");
    await registry().createService({
      service: {
        name,
        ...base,
        command: ["sh", "-c", "test -f /data/born || hostname > /data/born; exec sleep 3600"],
        mounts: [
          { target: "/data", source: "data", perSlot: true },
          { target: "/shared", source: `shared-${process.pid}` },
          { type: ServiceMountType.TMPFS, target: "/scratch", tmpfsSizeBytes: 1_048_576n },
        ],
        readOnlyRootFilesystem: true,
      },
    });
    const up = (await scaler().scale({ name, replicas: 2 })).status!;
    const slot1 = running(up).find((c) => c.slot === 1)!;
    await until(async () => (await exec(slot1, "cat", "/data/born").catch(() => "")) !== "");
    const born = await exec(slot1, "cat", "/data/born");
    expect(born).toBe(slot1.id.slice(0, 12));
    const volume = JSON.parse(
      await nodeOf(slot1.nodeName).docker(["volume", "inspect", "--format", "{{json .Labels}}", `${name}-1-data`]),
    ) as Record<string, string>;
    expect(volume).toMatchObject({
      "dockhand.service": name,
      "dockhand.volume": "data",
      "dockhand.managed-by": "dockhand",
    });
    expect(await exec(slot1, "sh", "-c", "grep ' /scratch ' /proc/mounts")).toMatch(/tmpfs .*size=1024k/);
    expect(await exec(slot1, "sh", "-c", "touch /x 2>&1 || echo refused")).toMatch(/Read-only file system|refused/);
    await exec(slot1, "sh", "-c", "echo kept > /data/note");
    await expectSpecStable(name, 2);

    // Swarm moves slot 1 when its node drains: its volume stays where it was written, and the new node makes an empty one.
    const oldNode = slot1.nodeName;
    await fixture.swarm.manager.docker(["node", "update", "--availability", "drain", oldNode]);
    try {
      await until(async () => {
        const moved = running(await status(name)).find((c) => c.slot === 1);
        return !!moved && moved.nodeName !== oldNode;
      }, 90_000);
      const moved = running(await status(name)).find((c) => c.slot === 1)!;
      await until(async () => (await exec(moved, "cat", "/data/born").catch(() => "")) !== "");
      expect(await exec(moved, "cat", "/data/born")).toBe(moved.id.slice(0, 12));
      expect(await exec(moved, "sh", "-c", "cat /data/note 2>/dev/null || echo absent")).toBe("absent");
      const left = await nodeOf(oldNode).docker(["volume", "ls", "--format", "{{.Name}}"]);
      expect(left.split("\n")).toContain(`${name}-1-data`);
    } finally {
      await fixture.swarm.manager.docker(["node", "update", "--availability", "active", oldNode]);
    }
    await registry().deleteService({ name, force: true });
  });

  it("joins an attachable overlay it creates: a client on one node resolves the service name to every task, on other nodes too, and fetches from each while it scales 1 → 3 → 1", async () => {
    const name = fixture.service("dns");
    const network = `t-overlay-${process.pid}`;
    const client = `t-client-${process.pid}`;
    await registry().createService({
      service: {
        name,
        ...base,
        command: serveHostname,
        networks: [network],
        healthCheck: { command: ["wget", "-qO-", "http://127.0.0.1:8080/"], interval: { nanos: 200_000_000 } },
      },
    });
    await scaler().scale({ name, replicas: 1, waitFor: ScaleWaitFor.READY });
    const manager = fixture.swarm.manager;
    const inspect = JSON.parse(await manager.docker(["network", "inspect", "--format", "{{json .}}", network])) as {
      Driver: string;
      Attachable: boolean;
      Labels: Record<string, string>;
    };
    expect([inspect.Driver, inspect.Attachable, inspect.Labels["dockhand.managed-by"]]).toEqual([
      "overlay",
      true,
      "dockhand",
    ]);
    await manager.docker(["run", "-d", "--name", client, "--network", network, "--init", testImage, "sleep", "3600"]);
    try {
      const lookup = async () =>
        [
          ...(await manager.docker(["exec", client, "nslookup", "-type=a", name]).catch(() => "")).matchAll(
            /^Address: (\d+\.\d+\.\d+\.\d+)$/gm,
          ),
        ]
          .map((m) => m[1]!)
          .sort();
      const nodesSeen = new Set<string>();
      for (const replicas of [1, 3, 1]) {
        const now = (await scaler().scale({ name, replicas, waitFor: ScaleWaitFor.READY })).status!;
        for (const c of running(now)) nodesSeen.add(c.nodeName);
        const ids = running(now)
          .map((c) => c.id.slice(0, 12))
          .sort();
        expect(ids).toHaveLength(replicas);
        await until(async () => (await lookup()).length === replicas);
        const answers: string[] = [];
        for (const ip of await lookup())
          answers.push((await manager.docker(["exec", client, "wget", "-qO-", `http://${ip}:8080/`])).trim());
        expect(answers.sort()).toEqual(ids);
      }
      expect(nodesSeen.size).toBeGreaterThan(1);
      expect([...nodesSeen].some((node) => node !== manager.hostname)).toBe(true);
    } finally {
      await manager.docker(["rm", "-f", client]).catch(() => "");
    }
    await registry().deleteService({ name, force: true });
    // The overlay dockhand made goes once nothing names it.
    await until(
      async () => !(await manager.docker(["network", "ls", "--format", "{{.Name}}"])).split("\n").includes(network),
      60_000,
    );
  });

  it("makes secrets and configs native, versioned by name; an update rolls onto the new version and removes the old; values never in specs or labels", async () => {
    const name = fixture.service("sec");
    const secret = `t-db-${process.pid}`;
    const config = `t-conf-${process.pid}`;
    await registry().createSecret({ name: secret, valueText: "first-s3cret" });
    await registry().createConfig({ name: config, valueText: "mode=one" });
    await registry().createService({
      service: {
        name,
        ...base,
        command: ["sleep", "3600"],
        secrets: [{ name: secret, target: "/run/secrets/db", mode: 0o400, uid: 1000, gid: 1001 }],
        configs: [{ name: config, target: "/etc/app.conf" }],
        updateConfig: { parallelism: 2, monitor: { seconds: 1n } },
      },
    });
    const up = (await scaler().scale({ name, replicas: 2 })).status!;
    for (const c of running(up)) {
      expect(await exec(c, "cat", "/run/secrets/db")).toBe("first-s3cret");
      expect(await exec(c, "stat", "-c", "%a %u %g", "/run/secrets/db")).toBe("400 1000 1001");
      expect(await exec(c, "cat", "/etc/app.conf")).toBe("mode=one");
    }
    const manager = fixture.swarm.manager;
    const secrets = async () =>
      (await manager.docker(["secret", "ls", "--format", "{{.Name}}"])).split("\n").filter(Boolean);
    expect(await secrets()).toContain(`${secret}-v1`);
    expect(await manager.docker(["config", "ls", "--format", "{{.Name}}"])).toContain(`${config}-v1`);

    await registry().updateSecret({ name: secret, valueText: "second-s3cret" });
    await until(async () => {
      const now = await status(name);
      return (
        now.update?.state === UpdateState.COMPLETED &&
        running(now).length === 2 &&
        now.containers.every((c) => c.definitionVersion === now.version)
      );
    }, 90_000);
    for (const c of running(await status(name))) expect(await exec(c, "cat", "/run/secrets/db")).toBe("second-s3cret");
    await until(async () => {
      const names = await secrets();
      return names.includes(`${secret}-v2`) && !names.includes(`${secret}-v1`);
    }, 60_000);
    const spec = await manager.docker(["service", "inspect", name]);
    expect(spec).not.toContain("s3cret");
    expect(spec).toContain(`${secret}-v2`);

    const inUse = await failureOf(registry().deleteSecret({ name: secret }));
    expect(inUse.code).toBe(Code.FailedPrecondition);
    await registry().deleteService({ name, force: true });
    await registry().deleteSecret({ name: secret });
    await registry().deleteConfig({ name: config });
    await until(async () => !(await secrets()).some((s) => s.startsWith(secret)), 60_000);
  });

  it("runs the health check in each task: status counts healthy per task on every node, Scale waits for READY, an unhealthy task shows Swarm's reason", async () => {
    const name = fixture.service("health");
    await registry().createService({ service: { name, ...base, command: ["sleep", "3600"], healthCheck: fastCheck } });
    // Deadlines, so a wait that never ends fails saying how far it got.
    const ready = (await scaler().scale({ name, replicas: 3, waitFor: ScaleWaitFor.READY }, { timeoutMs: 90_000 }))
      .status!;
    expect(ready.containers.map((c) => c.health)).toEqual([
      HealthStatus.HEALTHY,
      HealthStatus.HEALTHY,
      HealthStatus.HEALTHY,
    ]);
    expect([ready.running, ready.healthy, ready.ready]).toEqual([3, 3, 3]);
    for (const c of ready.containers) expect(fixture.hostnames()).toContain(c.nodeName);
    expect(new Set(ready.containers.map((c) => c.nodeName)).size).toBeGreaterThan(1);

    const sick = fixture.service("sick");
    await registry().createService({
      service: {
        name: sick,
        ...base,
        command: ["sleep", "3600"],
        healthCheck: { command: ["false"], interval: { nanos: 200_000_000 }, retries: 1 },
      },
    });
    const refused = await failureOf(
      scaler().scale({ name: sick, replicas: 1, waitFor: ScaleWaitFor.READY }, { timeoutMs: 90_000 }),
    );
    expect(refused.code).toBe(Code.FailedPrecondition);
    expect(refused.rawMessage).toMatch(/unhealthy/);
    await until(async () => (await status(sick)).failures.some((f) => /unhealthy/.test(f.reason)));
    await scaler().scale({ name: sick, replicas: 0 }, { timeoutMs: 60_000 });
    await registry().deleteService({ name, force: true });
    await registry().deleteService({ name: sick, force: true });
  });

  it("the Python grpcio flow: a secret, then a service with a health check, a per-slot volume, an overlay network and the secret; scaled to 3 waiting for READY; status with node names and health", async () => {
    const work = mkdtempSync(join(tmpdir(), "dockhand-pyswarm-"));
    const descriptors = join(work, "dockhand.binpb");
    const name = fixture.service("py");
    const network = `t-pyoverlay-${process.pid}`;
    const secret = `t-pytoken-${process.pid}`;
    const python = async (procedure: string, request: object): Promise<Record<string, unknown>> => {
      const result = await run(debianPython, [
        "examples/python/dockhand_client.py",
        "--target",
        fixture.server.url.replace("http://", ""),
        "--descriptors",
        descriptors,
        `dockhand.v1.${procedure}`,
        JSON.stringify(request),
      ]);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      return JSON.parse(result.stdout.trim().split("\n")[0] ?? "{}") as Record<string, unknown>;
    };
    try {
      expect((await run(bufBin, ["build", "-o", descriptors])).code).toBe(0);
      await python("ServiceRegistry/CreateSecret", { name: secret, valueText: "py-token-1" });
      await python("ServiceRegistry/CreateService", {
        service: {
          name,
          image: testImage,
          command: ["sh", "-c", "test -f /data/slot || hostname > /data/slot; exec sleep 3600"],
          init: true,
          stopGracePeriod: "1s",
          healthCheck: { command: ["test", "-f", "/run/secrets/api-token"], interval: "0.2s", startPeriod: "60s" },
          mounts: [{ target: "/data", source: "data", perSlot: true }],
          networks: [network],
          secrets: [{ name: secret, target: "/run/secrets/api-token" }],
        },
      });
      const scaled = await python("Scaler/Scale", { name, replicas: 3, waitFor: "SCALE_WAIT_FOR_READY" });
      expect(scaled.status).toMatchObject({ desired: 3, running: 3, ready: 3, healthy: 3 });
      const status = (await python("Scaler/GetStatus", { name })).status as {
        containers: Array<Record<string, string>>;
      };
      expect(status.containers.map((c) => c.health)).toEqual(Array(3).fill("HEALTH_STATUS_HEALTHY"));
      for (const c of status.containers) expect(fixture.hostnames()).toContain(c.nodeName);
      expect(new Set(status.containers.map((c) => c.nodeName)).size).toBeGreaterThan(1);
      await expectSpecStable(name, 3);
      // Each slot's volume is <service>-<slot>-data on the node that runs it.
      for (const c of status.containers) {
        const volumes = await nodeOf(c.nodeName!).docker([
          "volume",
          "ls",
          "-q",
          "--filter",
          `label=dockhand.service=${name}`,
        ]);
        expect(volumes.split("\n")).toContain(`${name}-${c.slot}-data`);
      }
      await python("ServiceRegistry/DeleteService", { name, force: true });
      await python("ServiceRegistry/DeleteSecret", { name: secret });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("refuses at CreateService what only the local orchestrator can run, naming the field; and what local refuses, in its words", async () => {
    const name = fixture.service("only-local");
    const refused = await failureOf(
      registry().createService({ service: { name, ...base, command: ["sleep", "1"], unhealthyAction: 2 } }),
    );
    expect(refused.code).toBe(Code.FailedPrecondition);
    expect(refused.rawMessage).toMatch(/^service\.unhealthy_action: IGNORE is not possible on the swarm orchestrator/);
    expect((await failureOf(registry().getService({ name }))).code).toBe(Code.NotFound);
    const proc = await failureOf(
      registry().createService({ service: { name, ...base, secrets: [{ name: "x", target: "/proc/x" }] } }),
    );
    expect([proc.code, proc.rawMessage.split(":")[0]]).toEqual([Code.InvalidArgument, "service.secrets[0].target"]);
  });
});
