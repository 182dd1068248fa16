import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { requireEngine, testImage } from "../support/engine.js";
import { clientFor } from "../support/clients.js";
import { bufBin, debianPython, run } from "../support/run.js";
import { removeDataDir, startTestServer, uniqueServiceName, type TestServer } from "../support/test-server.js";

/** Python grpcio, with the schema from a descriptor set and no generated code. */
describe("Python grpcio: health Check and a server stream", () => {
  let server: TestServer;
  const work = mkdtempSync(join(tmpdir(), "dockhand-pyops-"));
  const descriptors = join(work, "dockhand.binpb");
  const python = (method: string, request: object, extra: string[] = []) =>
    run(debianPython, [
      "examples/python/dockhand_client.py",
      "--target",
      server.url.replace("http://", ""),
      "--descriptors",
      descriptors,
      ...extra,
      method,
      JSON.stringify(request),
    ]);

  beforeAll(async () => {
    server = await startTestServer(await requireEngine());
    expect((await run(bufBin, ["build", "-o", descriptors])).code).toBe(0);
  });
  afterAll(async () => {
    await server?.close();
    if (server) removeDataDir(server.dataDir);
    rmSync(work, { recursive: true, force: true });
  });

  it("checks health, for the server and for one service", async () => {
    for (const service of ["", "dockhand.v1.Scaler"]) {
      const check = await python("grpc.health.v1.Health/Check", { service });
      expect(check.stderr).toBe("");
      expect(JSON.parse(check.stdout)).toEqual({ status: "SERVING" });
    }
    const unknown = await python("grpc.health.v1.Health/Check", { service: "no.such.Service" });
    expect(unknown.stderr).toMatch(/^NOT_FOUND: /);
  });

  it("reads Scaler.WatchStatus until its deadline ends it", async () => {
    const name = uniqueServiceName("pywatch");
    await clientFor(ServiceRegistry, server.url).createService({
      service: { name, image: testImage, command: ["sleep", "3600"] },
    });
    const watched = await python("dockhand.v1.Scaler/WatchStatus", { name }, ["--timeout", "2"]);
    expect(JSON.parse(watched.stdout.split("\n")[0] ?? "")).toMatchObject({ status: { name, version: "1" } });
    expect(watched.stderr).toMatch(/^DEADLINE_EXCEEDED: /);
    await clientFor(ServiceRegistry, server.url).deleteService({ name });
  });
});
