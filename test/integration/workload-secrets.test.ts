import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { UpdateState } from "../../gen/dockhand/v1/service_pb.js";
import { testImage } from "../support/engine.js";
import { clientFor } from "../support/clients.js";
import { useTestServer } from "../support/server-fixture.js";
import { failureOf } from "../support/failure.js";
import { until } from "../support/until.js";

const docker = (...args: string[]) =>
  execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
const bytes = (text: string) => new TextEncoder().encode(text);

describe("secrets and configs mounted as files", () => {
  const fixture = useTestServer();
  const registry = () => clientFor(ServiceRegistry, fixture.server.url);
  const scaler = () => clientFor(Scaler, fixture.server.url);
  const firstValue = `first-${randomBytes(8).toString("hex")}`;
  const secondValue = `second-${randomBytes(8).toString("hex")}`;

  it("stores them encrypted, never returns a secret's value, mounts both as files, and rolls a service when a secret changes", async () => {
    await registry().createSecret({ name: "db-password", value: bytes(firstValue), labels: { team: "edge" } });
    await registry().createConfig({ name: "app.conf", value: bytes("color=blue\n") });
    const listed = await registry().listSecrets({});
    expect(listed.secrets.map((s) => [s.name, s.version, s.sizeBytes])).toEqual([
      ["db-password", 1n, firstValue.length],
    ]);
    expect(
      JSON.stringify((await registry().getSecret({ name: "db-password" })).secret, (_k, v: unknown) =>
        typeof v === "bigint" ? String(v) : v,
      ),
    ).not.toContain(firstValue);
    expect(new TextDecoder().decode((await registry().getConfig({ name: "app.conf" })).config!.value)).toBe(
      "color=blue\n",
    );
    const stored = readFileSync(join(fixture.server.dataDir, "secrets.json"), "utf8");
    expect(stored).not.toContain(firstValue);
    expect(stored).not.toContain("color=blue");
    const key = statSync(join(fixture.server.dataDir, "secrets.key"));
    expect([key.size, key.mode & 0o777]).toEqual([32, 0o600]);

    const name = fixture.service("secret");
    await registry().createService({
      service: {
        name,
        image: testImage,
        command: ["sleep", "3600"],
        init: true,
        secrets: [{ name: "db-password", mode: 0o400, uid: 1000 }],
        configs: [{ name: "app.conf", target: "/etc/app.conf" }],
        updateConfig: { monitor: { seconds: 0n, nanos: 0 } },
      },
    });
    const id = (await scaler().scale({ name, replicas: 1 })).status!.containers[0]!.id;
    expect(docker("exec", id, "cat", "/run/secrets/db-password")).toBe(firstValue);
    expect(docker("exec", id, "stat", "-c", "%a %u %g", "/run/secrets/db-password")).toBe("400 1000 0");
    expect(docker("exec", id, "cat", "/etc/app.conf")).toBe("color=blue");
    expect(docker("exec", id, "stat", "-c", "%a", "/etc/app.conf")).toBe("444");
    expect(docker("inspect", id)).not.toContain(firstValue);

    const updated = await registry().updateSecret({ name: "db-password", value: bytes(secondValue) });
    expect(updated.secret?.version).toBe(2n);
    expect(updated.rolledServices).toEqual([name]);
    await until(async () => (await scaler().getStatus({ name })).status?.update?.state === UpdateState.COMPLETED);
    const next = (await scaler().getStatus({ name })).status!.containers[0]!;
    expect(next.id).not.toBe(id);
    expect(docker("exec", next.id, "cat", "/run/secrets/db-password")).toBe(secondValue);
    expect(docker("inspect", next.id)).not.toContain(secondValue);

    expect(await failureOf(registry().deleteSecret({ name: "db-password" }))).toMatchObject({
      code: Code.FailedPrecondition,
    });
    expect(await failureOf(registry().deleteConfig({ name: "app.conf" }))).toMatchObject({
      code: Code.FailedPrecondition,
    });
    await registry().deleteService({ name, force: true });
    await registry().deleteSecret({ name: "db-password" });
    await registry().deleteConfig({ name: "app.conf" });
    expect(await failureOf(registry().getSecret({ name: "db-password" }))).toMatchObject({ code: Code.NotFound });
    expect(readFileSync(join(fixture.server.dataDir, "secrets.json"), "utf8")).not.toContain(secondValue);
  });

  it("refuses a secret name that is not DNS-safe, an empty or oversized value, and a name taken", async () => {
    expect(await failureOf(registry().createSecret({ name: "Bad_Name", value: bytes("x") }))).toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: expect.stringMatching(/^name: /),
    });
    expect(await failureOf(registry().createSecret({ name: "empty", value: new Uint8Array() }))).toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: expect.stringMatching(/^value: /),
    });
    expect(await failureOf(registry().createConfig({ name: "big", value: new Uint8Array(600 * 1024) }))).toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: expect.stringMatching(/^value: /),
    });
    await registry().createSecret({ name: "taken", value: bytes("x") });
    expect(await failureOf(registry().createSecret({ name: "taken", value: bytes("y") }))).toMatchObject({
      code: Code.AlreadyExists,
    });
    expect(await failureOf(registry().updateSecret({ name: "missing", value: bytes("y") }))).toMatchObject({
      code: Code.NotFound,
    });
  });

  it.each([
    ["service.secrets[0].name", Code.InvalidArgument, { secrets: [{ name: "UPPER" }] }],
    ["service.secrets[0].name", Code.FailedPrecondition, { secrets: [{ name: "no-such-secret" }] }],
    ["service.secrets[0].target", Code.InvalidArgument, { secrets: [{ name: "taken", target: "run/x" }] }],
    [
      "service.secrets[0].target",
      Code.InvalidArgument,
      { mounts: [{ target: "/run", source: "v" }], secrets: [{ name: "taken" }] },
    ],
    [
      "service.configs[0].target",
      Code.InvalidArgument,
      { secrets: [{ name: "taken", target: "/x" }], configs: [{ name: "taken", target: "/x" }] },
    ],
    ["service.secrets[0].mode", Code.InvalidArgument, { secrets: [{ name: "taken", mode: 0o1777 }] }],
    ["service.secrets", Code.InvalidArgument, { secrets: [{ name: "taken" }], readOnlyRootFilesystem: true }],
  ])("refuses %s (%s)", async (field, code, extra) => {
    const err = await failureOf(
      registry().createService({
        service: { name: fixture.service("secret-input"), image: testImage, command: ["sleep", "3600"], ...extra },
      }),
    );
    expect(err).toMatchObject({ code });
    expect(err.rawMessage.startsWith(`${field}:`)).toBe(true);
  });
});
