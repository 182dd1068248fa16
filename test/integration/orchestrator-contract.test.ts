import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import {
  ContainerState,
  HealthStatus,
  ScaleProgressSchema,
  Scaler,
  ScaleWaitFor,
} from "../../gen/dockhand/v1/scaler_pb.js";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { ServiceMountType, UpdateState } from "../../gen/dockhand/v1/service_pb.js";
import { docker } from "../support/run.js";
import { clientFor } from "../support/clients.js";
import { failureOf } from "../support/failure.js";
import { useTestServer } from "../support/server-fixture.js";
import { useSwarmServer } from "../support/swarm/swarm-server.js";
import { testImage } from "../support/engine.js";
import { until } from "../support/until.js";

/** What a contract test needs of a backend: a dockhand on it, unique names, and a way to define a service. */
interface Backend {
  readonly server: { url: string };
  service(prefix: string): string;
  createService(name: string, extra?: Record<string, unknown>): Promise<void>;
}

/**
 * The contract clients rely on, whichever backend runs the services: one suite, run against
 * `local` (the shared engine) and `swarm` (a three-node swarm). A client cannot tell which.
 */
/** Runs argv in a container of a status, where it runs (on a swarm: on its node); answers its output, trimmed. */
type Exec = (container: { id: string; nodeName: string }, argv: string[]) => Promise<string>;

function orchestratorContract(backend: () => Backend, exec: Exec, kind: "local" | "swarm") {
  const scaler = () => clientFor(Scaler, backend().server.url);
  const registry = () => clientFor(ServiceRegistry, backend().server.url);
  const status = async (name: string) => (await scaler().getStatus({ name })).status!;
  const runningCount = (s: Awaited<ReturnType<typeof status>>) =>
    s.containers.filter((c) => c.state === ContainerState.RUNNING).length;

  it("Scale with wait returns with exactly that many running, and GetStatus agrees", async () => {
    const name = backend().service("c-scale");
    await backend().createService(name);
    const up = (await scaler().scale({ name, replicas: 3 })).status!;
    expect([up.desired, up.running, runningCount(up)]).toEqual([3, 3, 3]);
    expect(new Set(up.containers.map((c) => c.slot))).toEqual(new Set([1, 2, 3]));
    const read = await status(name);
    expect([read.desired, read.running]).toEqual([3, 3]);
    const down = (await scaler().scale({ name, replicas: 1 })).status!;
    expect([down.desired, down.running, down.containers.length]).toEqual([1, 1, 1]);
    const zero = (await scaler().scale({ name, replicas: 0 })).status!;
    expect([zero.desired, zero.running, zero.containers.length]).toEqual([0, 0, 0]);
  });

  it("the last of two concurrent Scales wins; the earlier one finishes or answers ABORTED, never undoes it", async () => {
    const name = backend().service("c-race");
    await backend().createService(name);
    const first = scaler()
      .scale({ name, replicas: 6 })
      .then(
        () => "ok",
        (err: unknown) => ConnectError.from(err).code,
      );
    // The first is recorded (its count reads back) before the second is sent: the order is known.
    await until(async () => (await status(name)).desired === 6);
    const second = (await scaler().scale({ name, replicas: 2 })).status!;
    expect([second.desired, second.running]).toEqual([2, 2]);
    expect(["ok", Code.Aborted]).toContain(await first);
    const after = await status(name);
    expect([after.desired, after.running]).toEqual([2, 2]);
    await scaler().scale({ name, replicas: 0 });
  });

  it("Scale without wait: the desired count reads back at once, the running count follows", async () => {
    const name = backend().service("c-nowait");
    await backend().createService(name);
    const answer = (await scaler().scale({ name, replicas: 2, wait: false })).status!;
    expect(answer.desired).toBe(2);
    expect((await status(name)).desired).toBe(2);
    await until(async () => (await status(name)).running === 2, 90_000);
    await scaler().scale({ name, replicas: 0 });
  });

  it("refuses bad input with the same codes and words", async () => {
    const name = backend().service("c-bad");
    await backend().createService(name);
    const negative = await failureOf(scaler().scale({ name, replicas: -1 }));
    expect(negative.code).toBe(Code.InvalidArgument);
    expect(negative.rawMessage).toMatch(/^replicas: must be between 0 and \d+ \(got -1\)$/);
    const tooMany = await failureOf(scaler().scale({ name, replicas: 100_000 }));
    expect(tooMany.code).toBe(Code.InvalidArgument);
    expect(tooMany.rawMessage).toContain("replicas");
    const missing = await failureOf(scaler().getStatus({ name: `${name}-none` }));
    expect(missing.code).toBe(Code.NotFound);
    const missingScale = await failureOf(scaler().scale({ name: `${name}-none`, replicas: 1 }));
    expect(missingScale.code).toBe(Code.NotFound);
  });

  it("a Scale whose image no engine has fails with FAILED_PRECONDITION naming the image, with the progress reached", async () => {
    const name = backend().service("c-noimage");
    const image = "127.0.0.1:5999/dockhand/absent:1";
    await backend().createService(name, { image });
    const failure = await failureOf(scaler().scale({ name, replicas: 2 }));
    expect(failure.code).toBe(Code.FailedPrecondition);
    expect(failure.rawMessage).toContain(image);
    expect(failure.findDetails(ScaleProgressSchema)).toEqual([
      expect.objectContaining({ name, desired: 2, running: 0 }),
    ]);
    expect((await status(name)).running).toBe(0);
    await scaler().scale({ name, replicas: 0, wait: false });
  });

  it("WatchStatus sends the status now, then each change until the count is reached", async () => {
    const name = backend().service("c-watch");
    await backend().createService(name);
    const controller = new AbortController();
    const counts: number[] = [];
    const watching = (async () => {
      for await (const message of scaler().watchStatus({ name }, { signal: controller.signal })) {
        counts.push(message.status!.running);
        if (message.status!.running === 2) return;
      }
    })();
    await until(() => counts.length > 0);
    await scaler().scale({ name, replicas: 2 });
    await watching;
    controller.abort();
    expect(counts[0]).toBe(0);
    expect(counts.at(-1)).toBe(2);
    await scaler().scale({ name, replicas: 0 });
  });

  it("rolls a changed definition out to every container, and reports it completed", async () => {
    const name = backend().service("c-update");
    await backend().createService(name, { updateConfig: { parallelism: 2, monitor: { seconds: 1n } } });
    await scaler().scale({ name, replicas: 2 });
    await registry().updateService({
      service: {
        name,
        image: testImage,
        command: ["sleep", "3601"],
        init: true,
        stopGracePeriod: { seconds: 1n },
        updateConfig: { parallelism: 2, monitor: { seconds: 1n } },
      },
    });
    await until(async () => {
      const now = await status(name);
      return (
        now.update?.state === UpdateState.COMPLETED &&
        now.running === 2 &&
        now.containers.every((c) => c.definitionVersion === 2n)
      );
    }, 90_000);
    await scaler().scale({ name, replicas: 0 });
  });

  it("StreamServiceLogs merges every container's lines, each marked with its slot", async () => {
    const name = backend().service("c-logs");
    await backend().createService(name, { command: ["sh", "-c", "echo started; echo oops >&2; exec sleep 3600"] });
    await scaler().scale({ name, replicas: 2 });
    const read = async () => {
      const lines: Array<{ slot: number; line: string; stderr: boolean; containerId: string }> = [];
      for await (const message of scaler().streamServiceLogs({ name })) lines.push(message);
      return lines;
    };
    await until(async () => (await read()).length === 4, 60_000);
    const lines = await read();
    expect(
      lines
        .filter((l) => l.line === "started")
        .map((l) => l.slot)
        .sort(),
    ).toEqual([1, 2]);
    expect(lines.filter((l) => l.line === "oops").every((l) => l.stderr)).toBe(true);
    const running = (await status(name)).containers.map((c) => c.id);
    expect(new Set(lines.map((l) => l.containerId))).toEqual(new Set(running));
    expect((await failureOf(scaler().streamServiceLogs({ name, tail: -1 }))).code).toBe(Code.InvalidArgument);
    expect((await failureOf(scaler().streamServiceLogs({ name: `${name}-none` }))).code).toBe(Code.NotFound);
    await scaler().scale({ name, replicas: 0 });
  });

  const sleeper = () => ({
    image: testImage,
    command: ["sleep", "3600"],
    init: true,
    stopGracePeriod: { seconds: 1n },
  });

  it("workload: runs the health check; Scale waits for READY; status counts healthy and ready per container", async () => {
    const name = backend().service("c-health");
    await registry().createService({
      service: { name, ...sleeper(), healthCheck: { command: ["true"], interval: { nanos: 200_000_000 } } },
    });
    const up = (await scaler().scale({ name, replicas: 2, waitFor: ScaleWaitFor.READY })).status!;
    expect([up.running, up.healthy, up.ready]).toEqual([2, 2, 2]);
    expect(up.containers.map((c) => c.health)).toEqual([HealthStatus.HEALTHY, HealthStatus.HEALTHY]);
    await scaler().scale({ name, replicas: 0 });
  });

  it("workload: per-slot and named volumes, tmpfs with its size, read-only root", async () => {
    const name = backend().service("c-vol");
    const shared = `${name}-shared`;
    await registry().createService({
      service: {
        name,
        ...sleeper(),
        mounts: [
          { target: "/data", source: "data", perSlot: true },
          { target: "/shared", source: shared },
          { type: ServiceMountType.TMPFS, target: "/scratch", tmpfsSizeBytes: 2_097_152n },
        ],
        readOnlyRootFilesystem: true,
      },
    });
    const up = (await scaler().scale({ name, replicas: 2 })).status!;
    for (const c of up.containers) {
      const mounts = await exec(c, ["cat", "/proc/mounts"]);
      expect(mounts).toMatch(/ \/scratch tmpfs .*size=2048k/);
      expect(await exec(c, ["sh", "-c", "touch /x 2>/dev/null && echo wrote || echo refused"])).toBe("refused");
      await exec(c, ["sh", "-c", `echo ${c.slot} > /data/slot && echo ${c.slot} > /shared/${c.slot}`]);
    }
    // Each slot has a volume of its own, named <service>-<slot>-data, with what that slot wrote.
    for (const c of up.containers) {
      expect(await exec(c, ["cat", "/data/slot"])).toBe(String(c.slot));
      expect(await exec(c, ["sh", "-c", "ls /data"])).toBe("slot");
    }
    if (kind === "local") {
      const deleted = await registry().deleteService({ name, force: true, purgeVolumes: true });
      expect(deleted.removedVolumes).toEqual([`${name}-1-data`, `${name}-2-data`, shared].sort());
      return;
    }
    // Each node keeps its volumes, out of reach of dockhand on the manager: refused before anything is deleted.
    const purge = await failureOf(registry().deleteService({ name, force: true, purgeVolumes: true }));
    expect([purge.code, purge.rawMessage.split(":")[0]]).toEqual([Code.FailedPrecondition, "purge_volumes"]);
    expect((await status(name)).running).toBe(2);
    const unused = await failureOf(scaler().listUnusedVolumes({}));
    expect([unused.code, unused.rawMessage.split(":")[0]]).toEqual([Code.FailedPrecondition, "ListUnusedVolumes"]);
    await registry().deleteService({ name, force: true });
  });

  it("workload: a network where every container answers to the service's name, 1 → 3 → 1", async () => {
    const name = backend().service("c-dns");
    await registry().createService({
      service: {
        name,
        ...sleeper(),
        command: ["sh", "-c", "mkdir -p /tmp/w && hostname > /tmp/w/index.html && exec httpd -f -p 8080 -h /tmp/w"],
        networks: [`${name}-net`],
        healthCheck: { command: ["wget", "-qO-", "http://127.0.0.1:8080/"], interval: { nanos: 200_000_000 } },
      },
    });
    for (const replicas of [1, 3, 1]) {
      const now = (await scaler().scale({ name, replicas, waitFor: ScaleWaitFor.READY })).status!;
      const ids = now.containers.map((c) => c.id.slice(0, 12)).sort();
      const asker = now.containers[0]!;
      const lookup = async () =>
        [
          ...(await exec(asker, ["nslookup", "-type=a", name]).catch(() => "")).matchAll(
            /^Address: (\d+\.\d+\.\d+\.\d+)$/gm,
          ),
        ].map((m) => m[1]!);
      await until(async () => (await lookup()).length === replicas, 60_000);
      const answers: string[] = [];
      for (const ip of await lookup()) answers.push(await exec(asker, ["wget", "-qO-", `http://${ip}:8080/`]));
      expect(answers.sort()).toEqual(ids);
    }
    await registry().deleteService({ name, force: true });
  });

  it("workload: a secret and a config as files with their mode and owner; an update rolls onto the new value", async () => {
    const name = backend().service("c-sec");
    const secret = `${name}-pw`;
    await registry().createSecret({ name: secret, valueText: "one" });
    await registry().createConfig({ name: secret, valueText: "conf" });
    await registry().createService({
      service: {
        name,
        ...sleeper(),
        secrets: [{ name: secret, target: "/run/secrets/pw", mode: 0o440, uid: 7, gid: 8 }],
        configs: [{ name: secret, target: "/etc/app.conf" }],
        updateConfig: { parallelism: 2, monitor: { seconds: 1n } },
      },
    });
    for (const c of (await scaler().scale({ name, replicas: 2 })).status!.containers) {
      expect(await exec(c, ["cat", "/run/secrets/pw"])).toBe("one");
      expect(await exec(c, ["stat", "-c", "%a %u %g", "/run/secrets/pw"])).toBe("440 7 8");
      expect(await exec(c, ["cat", "/etc/app.conf"])).toBe("conf");
    }
    await registry().updateSecret({ name: secret, valueText: "two" });
    await until(async () => {
      const now = await status(name);
      return (
        now.update?.state === UpdateState.COMPLETED &&
        runningCount(now) === 2 &&
        now.containers.length === 2 &&
        now.containers.every((c) => c.definitionVersion === now.version)
      );
    }, 90_000);
    for (const c of (await status(name)).containers) expect(await exec(c, ["cat", "/run/secrets/pw"])).toBe("two");
    expect((await failureOf(registry().deleteSecret({ name: secret }))).code).toBe(Code.FailedPrecondition);
    await registry().deleteService({ name, force: true });
    await registry().deleteSecret({ name: secret });
    await registry().deleteConfig({ name: secret });
  });

  it("DeleteService refuses a running service without force, and removes it with force", async () => {
    const name = backend().service("c-delete");
    await backend().createService(name);
    await scaler().scale({ name, replicas: 1 });
    const refused = await failureOf(registry().deleteService({ name }));
    expect(refused.code).toBe(Code.FailedPrecondition);
    await registry().deleteService({ name, force: true });
    expect((await failureOf(scaler().getStatus({ name }))).code).toBe(Code.NotFound);
  });
}

describe("orchestrator contract: local", () => {
  const fixture = useTestServer();
  orchestratorContract(
    () => fixture,
    async (container, argv) => docker("exec", container.id, ...argv),
    "local",
  );
});

describe("orchestrator contract: swarm", () => {
  const fixture = useSwarmServer();
  orchestratorContract(
    () => fixture,
    async (container, argv) => {
      const node = fixture.swarm.nodes.find((n) => n.hostname === container.nodeName);
      if (!node) throw new Error(`no node ${container.nodeName} in the test swarm`);
      return (await node.docker(["exec", container.id, ...argv])).trim();
    },
    "swarm",
  );
});
