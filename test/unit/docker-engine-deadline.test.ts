import { mkdtempSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDockerEngine } from "../../src/engine/docker/docker-engine.js";

/** An "engine" that accepts connections and never answers, as a hung dockerd would. */
describe("engine call deadlines", () => {
  let server: Server;
  const sockets: Socket[] = [];
  const path = join(mkdtempSync(join(tmpdir(), "dockhand-hung-")), "docker.sock");

  beforeAll(async () => {
    server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(path, resolve));
  });
  afterAll(async () => {
    sockets.forEach((socket) => socket.destroy());
    await new Promise((resolve) => server.close(resolve));
  });

  it("fails a core call with Timeout when the engine does not answer", async () => {
    const engine = createDockerEngine({ url: `unix://${path}`, callTimeoutMs: 200 });
    await expect(engine.containers.list({ all: true })).rejects.toMatchObject({
      kind: "Timeout",
      message: expect.stringContaining("did not answer within 0.2 s"),
    });
    await expect(engine.containers.stop("abc", 0)).rejects.toMatchObject({ kind: "Timeout" });
  });

  it("leaves a caller's own signal in charge", async () => {
    const engine = createDockerEngine({ url: `unix://${path}`, callTimeoutMs: 50 });
    const controller = new AbortController();
    const call = engine.containers.inspect("abc", controller.signal);
    setTimeout(() => controller.abort(), 150);
    await expect(call).rejects.toMatchObject({ kind: "Cancelled" });
  });
});
