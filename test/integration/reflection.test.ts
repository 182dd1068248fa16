import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireEngine } from "../support/engine.js";
import { removeDataDir, startTestServer, type TestServer } from "../support/test-server.js";

const run = promisify(execFile);

/** buf curl with no --schema: everything it knows comes from the server's reflection. */
async function bufCurl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run("node_modules/.bin/buf", [
      "curl",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      ...args,
    ]);
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failure = err as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

describe("server reflection (grpc.reflection v1 and v1alpha)", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer(await requireEngine());
  });
  afterAll(async () => {
    await server?.close();
    if (server) removeDataDir(server.dataDir);
  });

  for (const version of ["grpc-v1", "grpc-v1alpha"]) {
    it(`lists dockhand's services to buf curl without proto files (${version})`, async () => {
      const listed = await bufCurl(["--reflect-protocol", version, "--list-services", server.url]);
      expect(listed.stderr).toBe("");
      const services = listed.stdout.trim().split("\n");
      expect(services).toEqual(
        expect.arrayContaining([
          "dockhand.v1.ServiceRegistry",
          "dockhand.v1.Scaler",
          "dockhand.v1.ContainerAgent",
          "grpc.health.v1.Health",
          "grpc.reflection.v1.ServerReflection",
        ]),
      );
    });
  }

  it("lists the methods of a service, resolved from the reflected descriptors", async () => {
    const methods = await bufCurl(["--list-methods", server.url]);
    expect(methods.stdout.trim().split("\n")).toEqual(
      expect.arrayContaining([
        "dockhand.v1.Scaler/Scale",
        "dockhand.v1.Scaler/GetStatus",
        "dockhand.v1.Scaler/WatchStatus",
      ]),
    );
  });

  it("calls an RPC with a JSON body encoded from the reflected schema", async () => {
    const call = await bufCurl([
      "-d",
      JSON.stringify({ name: "t-reflect-absent" }),
      `${server.url}/dockhand.v1.ServiceRegistry/GetService`,
    ]);
    // NOT_FOUND proves the request was encoded and reached the handler with the right name.
    expect(JSON.parse(call.stderr)).toMatchObject({
      code: "not_found",
      message: expect.stringContaining("t-reflect-absent"),
    });
    const health = await bufCurl(["-d", "{}", `${server.url}/grpc.health.v1.Health/Check`]);
    expect(JSON.parse(health.stdout)).toEqual({ status: "SERVING" });
  });

  it("reports an unknown symbol as an error of the reflection call, not of the stream", async () => {
    const call = await bufCurl(["-d", "{}", `${server.url}/dockhand.v1.NoSuchService/Nothing`]);
    expect(call.code).not.toBe(0);
    expect(call.stderr).toMatch(/dockhand\.v1\.NoSuchService/);
  });
});
