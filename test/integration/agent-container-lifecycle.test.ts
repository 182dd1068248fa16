import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { ContainerState } from "../../gen/dockhand/v1/scaler_pb.js";
import { RestartPolicyMode } from "../../gen/dockhand/v1/service_pb.js";
import { expectCode, useContainerFixture, type ContainerFixture } from "../support/container-fixture.js";
import { until } from "../support/until.js";

/**
 * A shell that exits 3 on SIGTERM: which signal arrived shows in the exit code. It says "trapped"
 * once its trap is set: as PID 1 without init, it ignores a SIGTERM that comes before that.
 */
const exitsThreeOnTerm = ["sh", "-c", "trap 'exit 3' TERM; echo trapped; while true; do sleep 0.1; done"];
/** A shell that ignores SIGTERM: only SIGKILL ends it. */
const ignoresTerm = ["sh", "-c", "trap '' TERM; echo trapped; while true; do sleep 0.1; done"];

/** Runs one of the trapping shells above and returns once its trap is set. */
async function runTrapped(fx: ContainerFixture, command: string[]) {
  const running = await fx.run({ command, init: false });
  const container = fx.engine.docker.getContainer(running.id);
  await until(async () => (await container.logs({ stdout: true })).toString().includes("trapped"), 60_000, 20);
  return running;
}

const ms = (time: Timestamp | undefined) => (time ? timestampDate(time).getTime() : 0);

describe("ContainerAgent container lifecycle", () => {
  const fx = useContainerFixture("life");

  it("starts, and starting a running container succeeds without restarting it", async () => {
    const created = await fx.create();
    const started = await fx.agent.startContainer({ id: created.id });
    expect(started.container?.state).toBe(ContainerState.RUNNING);
    expect(started.container?.startTime).toBeDefined();

    const again = await fx.agent.startContainer({ id: created.id });
    expect(again.container?.state).toBe(ContainerState.RUNNING);
    expect(ms(again.container?.startTime)).toBe(ms(started.container?.startTime));
  });

  it("stops with the grace period, and stopping a stopped container succeeds without change", async () => {
    const running = await runTrapped(fx, exitsThreeOnTerm);
    const stopped = await fx.agent.stopContainer({ id: running.id, gracePeriod: { seconds: 30n } });
    expect(stopped.container?.state).toBe(ContainerState.EXITED);
    expect(stopped.container?.exitCode).toBe(3);

    const again = await fx.agent.stopContainer({ id: running.id });
    expect(again.container?.state).toBe(ContainerState.EXITED);
    expect(ms(again.container?.finishTime)).toBe(ms(stopped.container?.finishTime));
  });

  it("kills with SIGKILL after the grace period when the process ignores SIGTERM", async () => {
    const running = await runTrapped(fx, ignoresTerm);
    const stopped = await fx.agent.stopContainer({ id: running.id, gracePeriod: { seconds: 1n } });
    expect(stopped.container?.state).toBe(ContainerState.EXITED);
    expect(stopped.container?.exitCode).toBe(137);
  });

  it("restarts the same container after a graceful stop", async () => {
    const running = await fx.run();
    const restarted = await fx.agent.restartContainer({ id: running.id, gracePeriod: { seconds: 5n } });
    expect(restarted.container?.id).toBe(running.id);
    expect(restarted.container?.state).toBe(ContainerState.RUNNING);
    expect(ms(restarted.container?.startTime)).toBeGreaterThan(ms(running.startTime));
  });

  it("reboots with SIGKILL and no grace: a process ignoring SIGTERM with a 1-hour grace is reset at once", async () => {
    const running = await fx.run({ command: ignoresTerm, init: false, stopGracePeriod: { seconds: 3600n } });
    const rebooted = await fx.agent.rebootContainer({ id: running.id });
    expect(rebooted.container?.id).toBe(running.id);
    expect(rebooted.container?.state).toBe(ContainerState.RUNNING);
    expect(ms(rebooted.container?.startTime)).toBeGreaterThan(ms(running.startTime));
  });

  it("reboots a container whose restart policy restarts it after the kill", async () => {
    const running = await fx.run({ restartPolicy: { mode: RestartPolicyMode.ALWAYS } });
    const rebooted = await fx.agent.rebootContainer({ id: running.id });
    expect(rebooted.container?.state).toBe(ContainerState.RUNNING);
    expect(ms(rebooted.container?.startTime)).toBeGreaterThan(ms(running.startTime));
  });

  it("reboots a stopped container by starting it", async () => {
    const created = await fx.create();
    const rebooted = await fx.agent.rebootContainer({ id: created.id });
    expect(rebooted.container?.state).toBe(ContainerState.RUNNING);
  });

  it("kills with the given signal, by name or number, and SIGKILL by default", async () => {
    for (const signal of ["TERM", "sigterm", "15"]) {
      const running = await runTrapped(fx, exitsThreeOnTerm);
      await fx.agent.killContainer({ id: running.id, signal });
      expect((await fx.agent.waitContainer({ id: running.id })).exitCode).toBe(3);
    }
    const running = await runTrapped(fx, ignoresTerm);
    const killed = await fx.agent.killContainer({ id: running.id });
    expect(killed.container?.state).toBe(ContainerState.EXITED);
    expect((await fx.agent.waitContainer({ id: running.id })).exitCode).toBe(137);

    await expectCode(fx.agent.killContainer({ id: running.id }), Code.FailedPrecondition, running.id);
  });

  it("pauses and unpauses; pausing a paused one and unpausing a running one succeed", async () => {
    const running = await fx.run();
    expect((await fx.agent.pauseContainer({ id: running.id })).container?.state).toBe(ContainerState.PAUSED);
    expect((await fx.agent.pauseContainer({ id: running.id })).container?.state).toBe(ContainerState.PAUSED);
    await expectCode(fx.agent.startContainer({ id: running.id }), Code.FailedPrecondition);
    expect((await fx.agent.getContainer({ id: running.id })).container?.state).toBe(ContainerState.PAUSED);
    expect((await fx.agent.unpauseContainer({ id: running.id })).container?.state).toBe(ContainerState.RUNNING);
    expect((await fx.agent.unpauseContainer({ id: running.id })).container?.state).toBe(ContainerState.RUNNING);
  });

  it("refuses to pause or unpause a container that is not running, naming its state", async () => {
    const created = await fx.create();
    await expectCode(fx.agent.pauseContainer({ id: created.id }), Code.FailedPrecondition, "created");
    await expectCode(fx.agent.unpauseContainer({ id: created.id }), Code.FailedPrecondition, "created");
    expect((await fx.agent.getContainer({ id: created.id })).container?.state).toBe(ContainerState.CREATED);
  });

  it("waits for the exit code, at once for a container that is not running", async () => {
    const exiting = await fx.run({ command: ["sh", "-c", "sleep 0.3; exit 5"] });
    expect(await fx.agent.waitContainer({ id: exiting.id })).toMatchObject({ exitCode: 5, error: "" });
    expect((await fx.agent.waitContainer({ id: exiting.id })).exitCode).toBe(5);
  });

  it("fails a wait with DEADLINE_EXCEEDED when its timeout passes first, leaving the container running", async () => {
    const running = await fx.run();
    await expectCode(
      fx.agent.waitContainer({ id: running.id, timeout: { nanos: 200_000_000 } }),
      Code.DeadlineExceeded,
      running.id,
    );
    expect((await fx.agent.getContainer({ id: running.id })).container?.state).toBe(ContainerState.RUNNING);
  });
});
