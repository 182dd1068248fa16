import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ContainerState, ScaleProgressSchema, Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { UpdateState } from "../../gen/dockhand/v1/service_pb.js";
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
function orchestratorContract(backend: () => Backend) {
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
  orchestratorContract(() => fixture);
});

describe("orchestrator contract: swarm", () => {
  const fixture = useSwarmServer();
  orchestratorContract(() => fixture);
});
