import { describe, expect, it } from "vitest";
import { Code, ConnectError } from "@connectrpc/connect";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { UpdateFailureAction, UpdateState } from "../../gen/dockhand/v1/service_pb.js";
import { ownershipOf, serviceFilter } from "../../src/model/ownership-labels.js";
import { testImage } from "../support/engine.js";
import { clientFor } from "../support/clients.js";
import { useTestServer } from "../support/server-fixture.js";

/** UpdateService with wait_for_rollout: the answer is the deployment's outcome, as a script needs it. */
describe("UpdateService waits for its rollout when asked", () => {
  const fixture = useTestServer();
  const registry = () => clientFor(ServiceRegistry, fixture.server.url);
  const scaler = () => clientFor(Scaler, fixture.server.url);
  const monitor = { seconds: 1n, nanos: 0 };

  async function deploy(prefix: string, updateConfig: Record<string, unknown>): Promise<string> {
    const name = fixture.service(prefix);
    await registry().createService({
      service: { name, image: testImage, command: ["sleep", "3600"], init: true, updateConfig },
    });
    await scaler().scale({ name, replicas: 2 });
    return name;
  }

  const update = (name: string, command: string[], updateConfig: Record<string, unknown>, timeoutMs?: number) =>
    registry()
      .updateService(
        { service: { name, image: testImage, command, init: true, updateConfig }, waitForRollout: true },
        timeoutMs ? { timeoutMs } : {},
      )
      .catch((e: unknown) => ConnectError.from(e));

  it("answers once the rollout completed, with every container on the new version", async () => {
    const config = { parallelism: 1, monitor: { seconds: 0n, nanos: 200_000_000 } };
    const name = await deploy("wait-ok", config);
    const answer = await update(name, ["sleep", "3601"], config);
    expect(answer).not.toBeInstanceOf(ConnectError);
    // Read right after the answer, no waiting: it came when the rollout ended.
    expect((await scaler().getStatus({ name })).status?.update?.state).toBe(UpdateState.COMPLETED);
    const versions = (await fixture.engine.containers.list({ all: false, labels: [serviceFilter(name)] })).map(
      (c) => ownershipOf(c.labels)?.definitionVersion,
    );
    expect(versions).toEqual([2, 2]);
  });

  it("fails with FAILED_PRECONDITION when the rollout failed and was rolled back", async () => {
    const config = { parallelism: 1, monitor, failureAction: UpdateFailureAction.ROLLBACK };
    const name = await deploy("wait-back", config);
    const err = await update(name, ["sh", "-c", "exit 7"], config);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.FailedPrecondition);
    expect((err as ConnectError).rawMessage).toMatch(
      new RegExp(`rollout of service "${name}" to version 2 failed and was rolled back: rolled back: .*exit code 7`),
    );
    const status = (await scaler().getStatus({ name })).status!;
    expect(status.update?.state).toBe(UpdateState.ROLLED_BACK);
    expect((await registry().getService({ name })).service?.command).toEqual(["sleep", "3600"]);
  });

  it("fails with FAILED_PRECONDITION naming the reason when the rollout paused", async () => {
    const config = { parallelism: 1, monitor };
    const name = await deploy("wait-pause", config);
    const err = await update(name, ["sh", "-c", "exit 7"], config);
    expect((err as ConnectError).code).toBe(Code.FailedPrecondition);
    expect((err as ConnectError).rawMessage).toMatch(/to version 2 paused: .*monitor window/);
    expect((await scaler().getStatus({ name })).status?.update?.state).toBe(UpdateState.PAUSED);
  });

  it("answers DEADLINE_EXCEEDED when the deadline comes first, and the rollout goes on", async () => {
    const slow = { parallelism: 1, monitor: { seconds: 3n, nanos: 0 } };
    const name = await deploy("wait-late", slow);
    const err = await update(name, ["sleep", "3602"], slow, 500);
    expect((err as ConnectError).code).toBe(Code.DeadlineExceeded);
    // Waited for again, without changing anything: the same version's outcome.
    const again = await registry().updateService({
      service: { name, image: testImage, command: ["sleep", "3602"], init: true, updateConfig: slow },
      waitForRollout: true,
    });
    expect(again.service?.version).toBe(2n);
    expect((await scaler().getStatus({ name })).status?.update?.state).toBe(UpdateState.COMPLETED);
  });
});
