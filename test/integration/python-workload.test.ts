import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { testImage } from "../support/engine.js";
import { clientFor } from "../support/clients.js";
import { useTestServer } from "../support/server-fixture.js";
import { bufBin, debianPython, dockerQuietly, run, type RunResult } from "../support/run.js";

type Json = Record<string, unknown>;

/** A service for a real workload, made and scaled from Python grpcio (schema from a descriptor set). */
describe("Python grpcio: a service with a health check, a per-slot volume, a network and a secret", () => {
  const fixture = useTestServer();
  const work = mkdtempSync(join(tmpdir(), "dockhand-pyworkload-"));
  const descriptors = join(work, "dockhand.binpb");
  const network = `t-pynet-${process.pid}-${Date.now().toString(36)}`;
  let name = "";

  const python = async (procedure: string, request: object): Promise<Json> => {
    const result: RunResult = await run(debianPython, [
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
    return JSON.parse(result.stdout.trim().split("\n")[0] ?? "{}") as Json;
  };

  beforeAll(async () => {
    name = fixture.service("pywork");
    expect((await run(bufBin, ["build", "-o", descriptors])).code).toBe(0);
  });
  afterAll(async () => {
    await clientFor(ServiceRegistry, fixture.server.url)
      .deleteService({ name, force: true, purgeVolumes: true })
      .catch(() => undefined);
    dockerQuietly("network", "rm", network);
    rmSync(work, { recursive: true, force: true });
  });

  it("creates the secret and the service, scales to 2 waiting for ready, and reads the status", async () => {
    const secret = await python("ServiceRegistry/CreateSecret", {
      name: "api-token",
      value: Buffer.from("py-token-1").toString("base64"),
    });
    expect(secret.secret).toMatchObject({ name: "api-token", version: "1" });
    expect(JSON.stringify(secret)).not.toContain(Buffer.from("py-token-1").toString("base64"));

    const created = await python("ServiceRegistry/CreateService", {
      service: {
        name,
        image: testImage,
        command: ["sh", "-c", "test -f /data/slot || hostname > /data/slot; exec sleep 3600"],
        init: true,
        healthCheck: { command: ["test", "-f", "/run/secrets/api-token"], interval: "0.2s", startPeriod: "60s" },
        mounts: [{ target: "/data", source: "data", perSlot: true }],
        networks: [network],
        secrets: [{ name: "api-token" }],
      },
    });
    expect(created.service).toMatchObject({
      name,
      networks: [network],
      secrets: [{ name: "api-token", target: "/run/secrets/api-token", mode: 292 }],
    });

    const scaled = await python("Scaler/Scale", { name, replicas: 2, waitFor: "SCALE_WAIT_FOR_READY" });
    expect(scaled.status).toMatchObject({ desired: 2, running: 2, ready: 2, healthy: 2 });

    const status = (await python("Scaler/GetStatus", { name })).status as Json;
    expect(status).toMatchObject({ running: 2, ready: 2, healthy: 2 });
    expect((status.containers as Json[]).map((c) => c.health)).toEqual([
      "HEALTH_STATUS_HEALTHY",
      "HEALTH_STATUS_HEALTHY",
    ]);
    expect(
      dockerQuietly("volume", "ls", "-q", "--filter", `label=dockhand.service=${name}`).split("\n").sort(),
    ).toEqual([`${name}-1-data`, `${name}-2-data`]);
  });
});
