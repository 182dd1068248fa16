import { Writable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { createFakeEngine } from "../support/fake-engine.js";
import type { Engine } from "../../src/engine/engine.js";
import { defaults } from "../../src/app/config.js";
import { startDockhandServer, type DockhandServer } from "../../src/app/dockhand-server.js";

describe("request ids in logs", () => {
  let server: DockhandServer | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), "dockhand-reqlog-"));
  afterEach(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("puts the call's request id on its rpc line and on the engine calls it made", async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: "debug" },
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
          callback();
        },
      }),
    );
    const fake = createFakeEngine();
    fake.addImage("img:1");
    server = await startDockhandServer({
      config: { ...defaults, port: 0, dataDir, shutdownGraceMs: 200 },
      engine: fake as unknown as Engine,
      logger,
    });
    const transport = createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" });
    await createClient(ServiceRegistry, transport).createService({
      service: { name: "web", image: "img:1", command: ["sleep", "1"] },
    });
    await createClient(Scaler, transport).scale(
      { name: "web", replicas: 1 },
      { headers: { "x-request-id": "scale-42" } },
    );

    const rpc = lines.find((l) => l.msg === "rpc" && l.procedure === "/dockhand.v1.Scaler/Scale");
    expect(rpc?.requestId).toBe("scale-42");
    const engineCalls = lines.filter((l) => l.msg === "engine call" && l.requestId === "scale-42");
    expect(engineCalls.map((l) => l.operation)).toEqual(
      expect.arrayContaining(["createContainer", "startContainer", "inspectContainer"]),
    );
    expect(engineCalls.find((l) => l.operation === "startContainer")?.containerId).toMatch(/^[0-9a-f]+$/);
  });
});
