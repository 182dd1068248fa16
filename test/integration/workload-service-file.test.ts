import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler, ScaleWaitFor } from "../../gen/dockhand/v1/scaler_pb.js";
import { clientFor } from "../support/clients.js";
import { requireEngine } from "../support/engine.js";
import { startTestServer, uniqueServiceName, type TestServer } from "../support/test-server.js";
import { until } from "../support/until.js";
import { docker, dockerQuietly } from "../support/run.js";

/** The README's service-file example, with its service and network renamed so runs never clash. */
const block = /<!-- readme-test: service-file -->\n```yaml\n([\s\S]*?)```/.exec(readFileSync("README.md", "utf8"))![1]!;
const name = uniqueServiceName("readme-sf");
const network = `${name}-net`;
const dir = mkdtempSync(join(tmpdir(), "dockhand-readme-workload-"));
const file = join(dir, "services.yml");
writeFileSync(file, block.replace(/^ {2}hello:$/m, `  ${name}:`).replace("[hello-net]", `[${network}]`));

describe("the README's service-file example, run", () => {
  const dataDir = join(dir, "data");
  let server: TestServer | undefined;
  const registry = () => clientFor(ServiceRegistry, server!.url);
  const scaler = () => clientFor(Scaler, server!.url);

  afterAll(async () => {
    await registry()
      .deleteService({ name, force: true, purgeVolumes: true })
      .catch(() => undefined);
    await server?.close();
    dockerQuietly("network", "rm", network);
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses to start while a secret the file mounts does not exist, with CreateService's refusal", async () => {
    const engine = await requireEngine();
    await expect(startTestServer(engine, { serviceFile: file, dataDir })).rejects.toMatchObject({
      kind: "FailedPrecondition",
      message: `service file: services.${name}: service.secrets[0].name: secret "hello-token" does not exist; create it first`,
    });
    // As the README says: create the secret first (here on a dockhand started without the file), then start with it.
    const bare = await startTestServer(engine, { dataDir });
    await clientFor(ServiceRegistry, bare.url).createSecret({ name: "hello-token", valueText: "readme-token" });
    await bare.close();
    server = await startTestServer(engine, { serviceFile: file, dataDir });
  });

  it("loads the new fields and runs them: health check, per-slot volume, tmpfs, network alias, secret", async () => {
    expect(block).toMatch(/^ {2}hello:$/m);
    const service = (await registry().getService({ name })).service!;
    expect(service.healthCheck?.command).toEqual(["wget", "-q", "--spider", "http://127.0.0.1:8080/bin/sh"]);
    expect(service.networks).toEqual([network]);

    const status = (await scaler().scale({ name, replicas: 2, waitFor: ScaleWaitFor.READY })).status!;
    expect(status).toMatchObject({ running: 2, ready: 2, healthy: 2 });
    const [first, second] = status.containers.map((c) => c.id);
    expect(docker("exec", first!, "cat", "/run/secrets/hello-token")).toBe("readme-token");
    expect(docker("exec", first!, "sh", "-c", "grep ' /scratch ' /proc/mounts")).toMatch(
      /^tmpfs \/scratch tmpfs rw.*size=16384k/,
    );
    expect(docker("volume", "ls", "-q", "--filter", `label=dockhand.service=${name}`).split("\n").sort()).toEqual([
      `${name}-1-data`,
      `${name}-2-data`,
    ]);
    const ips = [first!, second!]
      .map((id) => docker("inspect", "--format", `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, id))
      .sort();
    const resolved = () =>
      [...dockerQuietly("exec", first!, "nslookup", "-type=a", name).matchAll(/^Address: (\d+\.\d+\.\d+\.\d+)$/gm)]
        .map((m) => m[1])
        .sort();
    await until(() => JSON.stringify(resolved()) === JSON.stringify(ips));
  });
});
