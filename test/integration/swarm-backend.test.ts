import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ContainerState, Scaler, type ServiceStatus } from "../../gen/dockhand/v1/scaler_pb.js";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { UpdateState } from "../../gen/dockhand/v1/service_pb.js";
import { clientFor } from "../support/clients.js";
import { until } from "../support/until.js";
import { failureOf } from "../support/failure.js";
import { useSwarmServer } from "../support/swarm/swarm-server.js";
import { testImage } from "../support/engine.js";
import { debianPython, run } from "../support/run.js";
import { createDockerEngine } from "../../src/engine/docker/docker-engine.js";
import { startTestServer } from "../support/test-server.js";
import { runDockhandToExit } from "../support/dockhand-process.js";

/** The README's fenced blocks marked `<!-- readme-test[: kind] -->` (as readme.test.ts reads them). */
function readmeExamples(): Array<{ kind: string; code: string }> {
  const text = readFileSync("README.md", "utf8");
  return [...text.matchAll(/<!-- readme-test(?::\s*([\w-]+))? -->\n```(\w+)\n([\s\S]*?)```/g)].map((m) => ({
    kind: m[1] ?? "shell",
    code: m[3]!,
  }));
}

/** The swarm backend on a real three-node swarm: node 1 the manager, 2 and 3 workers. */
describe("swarm backend on three nodes", () => {
  const fixture = useSwarmServer();
  const scaler = () => clientFor(Scaler, fixture.server.url);
  const status = async (name: string) => (await scaler().getStatus({ name })).status!;
  const running = (s: ServiceStatus) => s.containers.filter((c) => c.state === ContainerState.RUNNING);
  const nodesOf = (s: ServiceStatus) => new Set(running(s).map((c) => c.nodeName));
  /** Swarm's own view, read from the manager with the docker CLI. */
  const swarmReplicas = async (name: string) =>
    Number(
      (
        await fixture.swarm.manager.docker([
          "service",
          "inspect",
          name,
          "--format",
          "{{.Spec.Mode.Replicated.Replicas}}",
        ])
      ).trim(),
    );

  it("scales 0→9→3→0 with wait, spread over the three nodes", async () => {
    const name = fixture.service("spread");
    await fixture.createService(name);
    const nine = (await scaler().scale({ name, replicas: 9 })).status!;
    expect(nine.running).toBe(9);
    expect(nine.desired).toBe(9);
    expect(nodesOf(nine)).toEqual(new Set(fixture.hostnames()));
    expect(await swarmReplicas(name)).toBe(9);
    const three = (await scaler().scale({ name, replicas: 3 })).status!;
    expect(three.running).toBe(3);
    expect(three.containers).toHaveLength(3);
    const zero = (await scaler().scale({ name, replicas: 0 })).status!;
    expect(zero.running).toBe(0);
    expect(zero.containers).toHaveLength(0);
    await clientFor(ServiceRegistry, fixture.server.url).deleteService({ name });
  });

  it("shows the node of each container in GetStatus and WatchStatus", async () => {
    const name = fixture.service("nodes");
    await fixture.createService(name);
    const ids = await fixture.swarm.nodeIds();
    const controller = new AbortController();
    const seen: ServiceStatus[] = [];
    const watching = (async () => {
      for await (const message of scaler().watchStatus({ name }, { signal: controller.signal })) {
        seen.push(message.status!);
        if (message.status!.running === 3) return message.status!;
      }
      throw new Error("the watch ended before 3 ran");
    })();
    await until(() => seen.length > 0);
    await scaler().scale({ name, replicas: 3, wait: false });
    const watched = await watching;
    controller.abort();
    for (const c of running(watched)) {
      expect(fixture.hostnames()).toContain(c.nodeName);
      expect(c.nodeId).toBe(ids.get(c.nodeName));
    }
    expect(seen[0]?.running).toBeLessThan(3);
    await until(async () => running(await status(name)).length === 3);
    for (const c of (await status(name)).containers) expect(c.nodeId).toBe(ids.get(c.nodeName));
    await scaler().scale({ name, replicas: 0 });
  });

  it("rolls an update out through Swarm, then rolls it back with Swarm's rollback", async () => {
    const name = fixture.service("roll");
    const registry = clientFor(ServiceRegistry, fixture.server.url);
    await fixture.createService(name, {
      environment: { RELEASE: "one" },
      updateConfig: { parallelism: 2, monitor: { seconds: 1n } },
    });
    await scaler().scale({ name, replicas: 3 });
    const env = async () =>
      (
        await fixture.swarm.manager.docker([
          "service",
          "inspect",
          name,
          "--format",
          "{{json .Spec.TaskTemplate.ContainerSpec.Env}}",
        ])
      ).trim();
    expect(await env()).toContain("RELEASE=one");

    await registry.updateService({
      service: {
        name,
        image: testImage,
        command: ["sleep", "3600"],
        init: true,
        stopGracePeriod: { seconds: 1n },
        environment: { RELEASE: "two" },
        updateConfig: { parallelism: 2, monitor: { seconds: 1n } },
      },
    });
    await until(async () => (await status(name)).update?.state === UpdateState.COMPLETED, 90_000);
    const updated = await status(name);
    expect(updated.running).toBe(3);
    expect(updated.containers.every((c) => c.definitionVersion === 2n)).toBe(true);
    expect(await env()).toContain("RELEASE=two");

    await scaler().rollback({ name });
    await until(async () => (await status(name)).update?.state === UpdateState.ROLLED_BACK, 90_000);
    expect(await env()).toContain("RELEASE=one");
    // Swarm's own rollback, not a new update: the service's UpdateStatus says so.
    expect(
      (await fixture.swarm.manager.docker(["service", "inspect", name, "--format", "{{.UpdateStatus.State}}"])).trim(),
    ).toBe("rollback_completed");
    await until(async () => (await status(name)).running === 3);
    // The rollback is version 3 of the service (the content of version 1), as the local backend counts it.
    const rolledBack = await status(name);
    expect(rolledBack.version).toBe(3n);
    expect(rolledBack.containers.map((c) => c.definitionVersion)).toEqual([3n, 3n, 3n]);
    await scaler().scale({ name, replicas: 0 });
  });

  it("streams the service's logs merged across the nodes, each line with its slot and node", async () => {
    const name = fixture.service("logs");
    await fixture.createService(name, { command: ["sh", "-c", "echo line-from-task; exec sleep 3600"] });
    const up = (await scaler().scale({ name, replicas: 3 })).status!;
    const nodeOfSlot = new Map(up.containers.map((c) => [c.slot, c.nodeName]));
    const read = async () => {
      const lines: Array<{ slot: number; nodeName: string; nodeId: string; line: string }> = [];
      for await (const message of scaler().streamServiceLogs({ name })) lines.push(message);
      return lines;
    };
    await until(async () => (await read()).length === 3, 60_000);
    const lines = await read();
    expect(lines.every((l) => l.line === "line-from-task")).toBe(true);
    expect(lines.map((l) => l.slot).sort()).toEqual([1, 2, 3]);
    for (const line of lines) expect(line.nodeName).toBe(nodeOfSlot.get(line.slot));
    expect(new Set(lines.map((l) => l.nodeName)).size).toBe(new Set(nodeOfSlot.values()).size);

    // Followed: a task started later is in the same stream, from whichever node runs it.
    // (No tail: Swarm applies a tail to each task, so `tail: 0` would hide a new task's first lines too.)
    const controller = new AbortController();
    const followed: Array<{ slot: number; nodeName: string }> = [];
    const following = (async () => {
      for await (const message of scaler().streamServiceLogs({ name, follow: true }, { signal: controller.signal })) {
        followed.push(message);
        if (message.slot === 4) return;
      }
    })().catch(() => undefined);
    await until(() => followed.length >= 3, 60_000);
    await scaler().scale({ name, replicas: 4 });
    await until(() => followed.some((l) => l.slot === 4), 60_000);
    controller.abort();
    await following;
    expect(fixture.hostnames()).toContain(followed.find((l) => l.slot === 4)!.nodeName);
    await scaler().scale({ name, replicas: 0 });
  });

  it("replaces a task killed on a worker", async () => {
    const name = fixture.service("kill");
    await fixture.createService(name);
    const before = (await scaler().scale({ name, replicas: 3 })).status!;
    const worker = fixture.swarm.nodes[1]!;
    const victim = running(before).find((c) => c.nodeName === worker.hostname) ?? running(before)[0]!;
    const node = fixture.swarm.nodes.find((n) => n.hostname === victim.nodeName)!;
    await node.docker(["kill", victim.id]);
    await until(async () => {
      const now = await status(name);
      return now.running === 3 && !now.containers.some((c) => c.id === victim.id);
    }, 90_000);
    await scaler().scale({ name, replicas: 0 });
  });

  it("repairs drift: a service scaled or removed behind dockhand's back comes back, and status says what drifted and when it was repaired", async () => {
    const name = fixture.service("drift");
    await fixture.createService(name);
    await scaler().scale({ name, replicas: 3 });
    expect((await status(name)).drift).toBeUndefined();
    const millis = (t: { seconds: bigint; nanos: number } | undefined) => Number(t!.seconds) * 1000 + t!.nanos / 1e6;
    /** The drift status shows once its repair was written, and the count is back. */
    const repaired = async (what: string) => {
      await until(async () => {
        const now = await status(name);
        return now.drift?.what === what && now.drift.repairedTime !== undefined && now.running === 3;
      }, 90_000);
      const drift = (await status(name)).drift!;
      expect(millis(drift.repairedTime)).toBeGreaterThanOrEqual(millis(drift.detectedTime));
      return drift;
    };

    // WatchStatus is told as well: a watch started before the drift sees it repaired.
    const controller = new AbortController();
    const watched = (async () => {
      for await (const message of scaler().watchStatus({ name }, { signal: controller.signal })) {
        if (message.status!.drift?.repairedTime) return message.status!.drift;
      }
      return undefined;
    })();

    const before = Date.now();
    await fixture.swarm.manager.docker(["service", "scale", "--detach", `${name}=1`]);
    const scaled = await repaired("the Swarm service was scaled to 1 outside dockhand (desired 3)");
    expect(millis(scaled.detectedTime)).toBeGreaterThanOrEqual(before - 1000);
    expect(await swarmReplicas(name)).toBe(3);
    expect((await watched)?.what).toBe(scaled.what);
    controller.abort();

    await fixture.swarm.manager.docker(["service", "rm", name]);
    const removed = await repaired("the Swarm service was removed outside dockhand");
    expect(millis(removed.detectedTime)).toBeGreaterThan(millis(scaled.detectedTime));
    await until(async () => (await swarmReplicas(name).catch(() => 0)) === 3, 90_000);
    await scaler().scale({ name, replicas: 0 });
  });

  it("refuses what the local backend refuses, with the same code and words (another container's network, without the allow-list)", async () => {
    const name = fixture.service("container-net");
    const refused = await failureOf(
      clientFor(ServiceRegistry, fixture.server.url).createService({
        service: { name, image: testImage, command: ["sleep", "1"], networks: ["container:web-1"] },
      }),
    );
    expect(refused.code).toBe(Code.PermissionDenied);
    expect(refused.rawMessage).toBe(
      `service.networks[0]: "container:web-1" shares another network namespace, which is not allowed by this server (set dockhand.allow_host_network in its config to allow it)`,
    );
    await expect(fixture.swarm.manager.docker(["service", "inspect", name])).rejects.toThrow();
  });

  it("reports a stopped worker's tasks as lost, and Swarm brings the count back on the others", async () => {
    const name = fixture.service("worker");
    await fixture.createService(name);
    await scaler().scale({ name, replicas: 6 });
    const worker = fixture.swarm.nodes[2]!;
    await worker.stop("SIGKILL");
    try {
      // Lost: the worker's tasks are no longer counted as running.
      await until(async () => {
        const now = await status(name);
        return (
          now.running < 6 &&
          now.containers.some((c) => c.nodeName === worker.hostname && c.state !== ContainerState.RUNNING)
        );
      }, 90_000);
      // Rescheduled on the two nodes left.
      await until(async () => {
        const now = await status(name);
        return now.running === 6 && running(now).every((c) => c.nodeName !== worker.hostname);
      }, 120_000);
    } finally {
      await worker.start();
      await fixture.swarm.waitReady();
    }
    await scaler().scale({ name, replicas: 0 });
  });

  it("keeps working across a restart of the manager's dockerd", async () => {
    const name = fixture.service("manager");
    await fixture.createService(name);
    await scaler().scale({ name, replicas: 2 });
    await fixture.swarm.manager.stop("SIGTERM");
    await fixture.swarm.manager.start();
    await fixture.swarm.waitReady();
    const after = await until(
      async () =>
        await scaler()
          .scale({ name, replicas: 4 })
          .then(
            () => true,
            () => false,
          ),
      90_000,
    ).then(() => status(name));
    expect(after.running).toBe(4);
    expect(after.containers.every((c) => fixture.hostnames().includes(c.nodeName))).toBe(true);
    await scaler().scale({ name, replicas: 0 });
  });

  it("answers the README's curl, buf curl and Python grpcio examples the same way", async () => {
    const address = fixture.server.url.replace("http://", "");
    const dir = mkdtempSync(join(tmpdir(), "dockhand-swarm-readme-"));
    const descriptors = join(dir, "dockhand.binpb");
    try {
      const examples = readmeExamples();
      // The first three shell blocks: curl (create, scale 3, status), buf curl (gRPC, gRPC-web), Python (scale 2, delete).
      const shell = examples.filter((e) => e.kind === "shell").slice(0, 3);
      expect(shell.map((e) => e.code)).toEqual([
        expect.stringContaining("curl -sS"),
        expect.stringContaining("buf curl"),
        expect.stringContaining("dockhand_client.py"),
      ]);
      for (const [index, example] of shell.entries()) {
        const script = `set -euo pipefail\n${example.code.replaceAll("127.0.0.1:7051", address).replaceAll("dockhand.binpb", descriptors)}`;
        const res = await run("bash", ["-c", script], {
          env: { PATH: `${process.cwd()}/node_modules/.bin:/usr/bin:${process.env.PATH}` },
        });
        expect(res.stderr.split("\n").filter((line) => line !== "" && !line.startsWith("npm warn"))).toEqual([]);
        expect(res.code).toBe(0);
        expect(res.stdout).not.toMatch(/"code":/);
        if (index === 0) {
          // curl's Scale waited for 3 tasks: status shows them, each with its node.
          const afterCurl = await status("hello");
          expect(afterCurl.running).toBe(3);
          for (const c of afterCurl.containers) expect(fixture.hostnames()).toContain(c.nodeName);
        }
      }
      // The Python example deleted the service with force: Swarm has no service left of that name.
      await expect(fixture.swarm.manager.docker(["service", "inspect", "hello"])).rejects.toThrow();

      const snippet = examples.find((e) => e.kind === "python")!;
      await fixture.createService("hello");
      writeFileSync(
        join(dir, "snippet.py"),
        snippet.code.replaceAll("127.0.0.1:7051", address).replaceAll('"dockhand.binpb"', JSON.stringify(descriptors)),
      );
      const res = await run(debianPython, [join(dir, "snippet.py")], {
        env: { PYTHONPATH: join(process.cwd(), "examples/python") },
      });
      expect(res.stderr).toBe("");
      expect(res.stdout.trim()).toBe("0");
      await clientFor(ServiceRegistry, fixture.server.url).deleteService({ name: "hello", force: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses to start on an engine that is a swarm worker, saying so", async () => {
    const worker = fixture.swarm.nodes[1]!;
    const failure = await startTestServer(createDockerEngine({ url: worker.url }), {
      orchestrator: "swarm",
      dockerUrl: worker.url,
    }).then(
      (server) => server.close().then(() => undefined),
      (err: unknown) => err as Error,
    );
    expect(failure?.message).toMatch(/swarm worker, not a manager/);
    // As a process: it stops, and its last words say why.
    const dataDir = mkdtempSync(join(tmpdir(), "dockhand-swarm-worker-"));
    try {
      const exit = await runDockhandToExit([
        "--orchestrator",
        "swarm",
        "--docker-url",
        worker.url,
        "--data-dir",
        dataDir,
      ]);
      expect(exit.code).toBe(1);
      expect(exit.output).toContain(
        "dockhand: cannot start: --orchestrator swarm: the Docker engine is a swarm worker, not a manager; point the engine URL at a manager node",
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
