import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { UpdateState } from "../../gen/dockhand/v1/service_pb.js";
import { requireEngine, testImage } from "../support/engine.js";
import { clientFor } from "../support/clients.js";
import { runDockhandToExit, spawnDockhand, type DockhandProcess } from "../support/dockhand-process.js";
import { removeServiceContainers, uniqueServiceName } from "../support/test-server.js";
import { until } from "../support/until.js";

/** dockhand as a real process at debug level: its whole output is read for secret values. */
describe("secrets in a dockhand process", () => {
  const dir = mkdtempSync(join(tmpdir(), "dockhand-secrets-proc-"));
  const dataDir = join(dir, "data");
  const keyFile = join(dir, "keys", "dockhand.key");
  const name = uniqueServiceName("secret-proc");
  let proc: DockhandProcess | undefined;

  afterAll(async () => {
    if (proc && proc.child.exitCode === null) {
      await clientFor(ServiceRegistry, proc.url)
        .deleteService({ name, force: true })
        .catch(() => undefined);
      proc.child.kill("SIGTERM");
      await proc.exited;
    }
    await removeServiceContainers(await requireEngine(), [name]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("uses the key file the config names, and never writes a value to its logs", async () => {
    const values = [`proc-first-${randomBytes(8).toString("hex")}`, `proc-second-${randomBytes(8).toString("hex")}`];
    proc = await spawnDockhand(["--data-dir", dataDir, "--log-level", "debug"], { DOCKHAND_SECRETS_KEY_FILE: keyFile });
    expect([statSync(keyFile).size, statSync(keyFile).mode & 0o777]).toEqual([32, 0o600]);
    expect(existsSync(join(dataDir, "secrets.key"))).toBe(false);

    const registry = clientFor(ServiceRegistry, proc.url);
    const scaler = clientFor(Scaler, proc.url);
    await registry.createSecret({ name: "proc-secret", value: new TextEncoder().encode(values[0]) });
    await registry.createService({
      service: {
        name,
        image: testImage,
        command: ["sleep", "3600"],
        init: true,
        secrets: [{ name: "proc-secret" }],
        updateConfig: { monitor: { seconds: 0n, nanos: 0 } },
      },
    });
    await scaler.scale({ name, replicas: 1 });
    await registry.updateSecret({ name: "proc-secret", value: new TextEncoder().encode(values[1]) });
    await until(async () => (await scaler.getStatus({ name })).status?.update?.state === UpdateState.COMPLETED);
    await registry.deleteService({ name, force: true });

    proc.child.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    const output = proc.output.join("\n");
    expect(output).toContain('"rolling update"');
    for (const value of values) {
      expect(output).not.toContain(value);
      expect(output).not.toContain(Buffer.from(value).toString("base64"));
    }
  });

  it("refuses to start over a key file of the wrong size rather than replace it", async () => {
    const bad = join(dir, "short.key");
    writeFileSync(bad, "too short");
    const result = await runDockhandToExit(["--data-dir", join(dir, "other")], { DOCKHAND_SECRETS_KEY_FILE: bad });
    expect(result.code).not.toBe(0);
    expect(result.output).toContain("holds 9 bytes, not 32");
  });
});
