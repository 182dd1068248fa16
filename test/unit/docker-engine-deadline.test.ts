import { mkdtempSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDockerEngine } from "../../src/engine/docker/docker-engine.js";
import type { Engine } from "../../src/engine/engine.js";

/** Every non-streaming call of the engine, each as its caller would make it without a signal. */
const calls: Array<[string, (engine: Engine) => Promise<unknown>]> = [
  ["containers.list", (e) => e.containers.list({ all: true })],
  ["containers.inspect", (e) => e.containers.inspect("abc")],
  ["containers.describe", (e) => e.containers.describe("abc")],
  ["containers.describeMany", (e) => e.containers.describeMany(["abc"])],
  ["containers.create", (e) => e.containers.create({ name: "abc", image: "busybox:1" })],
  ["containers.start", (e) => e.containers.start("abc")],
  ["containers.stop", (e) => e.containers.stop("abc", 0)],
  ["containers.restart", (e) => e.containers.restart("abc", 0)],
  ["containers.kill", (e) => e.containers.kill("abc", "SIGKILL")],
  ["containers.pause", (e) => e.containers.pause("abc")],
  ["containers.unpause", (e) => e.containers.unpause("abc")],
  ["containers.remove", (e) => e.containers.remove("abc", { force: true, volumes: false })],
  ["containers.rename", (e) => e.containers.rename("abc", "def")],
  [
    "containers.copyFiles",
    (e) => e.containers.copyFiles("abc", [{ path: "/a", content: Buffer.from("x"), mode: 0o444, uid: 0, gid: 0 }]),
  ],
  [
    "containers.commit",
    (e) => e.containers.commit("abc", { repository: "x", tag: "1", message: "", author: "", pause: true }),
  ],
  ["images.inspect", (e) => e.images.inspect("busybox:1")],
  ["images.describe", (e) => e.images.describe("busybox:1")],
  ["images.list", (e) => e.images.list({ all: false })],
  ["images.remove", (e) => e.images.remove("busybox:1", { force: false, noPrune: false })],
  ["images.tag", (e) => e.images.tag("busybox:1", "x:1")],
  ["volumes.create", (e) => e.volumes.create({ name: "v", labels: {} })],
  ["volumes.inspect", (e) => e.volumes.inspect("v")],
  ["volumes.list", (e) => e.volumes.list({})],
  ["volumes.remove", (e) => e.volumes.remove("v")],
  ["networks.create", (e) => e.networks.create({ name: "n", labels: {}, internal: false })],
  ["networks.inspect", (e) => e.networks.inspect("n")],
  ["networks.list", (e) => e.networks.list({})],
  ["networks.remove", (e) => e.networks.remove("n")],
  ["networks.connect", (e) => e.networks.connect("n", "abc", [])],
  ["networks.disconnect", (e) => e.networks.disconnect("n", "abc", false)],
  ["events.logged", (e) => e.events.logged({ since: 0n, until: new Date() })],
  ["system.ping", (e) => e.system.ping()],
  ["system.info", (e) => e.system.info()],
];

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

  it("fails a call with Timeout, naming the deadline, when the engine does not answer", async () => {
    const engine = createDockerEngine({ url: `unix://${path}`, callTimeoutMs: 200 });
    await expect(engine.containers.list({ all: true })).rejects.toMatchObject({
      kind: "Timeout",
      message: expect.stringContaining("did not answer within 0.2 s"),
    });
  });

  it.each(calls)("gives %s the default deadline when its caller gives no signal", async (_name, call) => {
    const engine = createDockerEngine({ url: `unix://${path}`, callTimeoutMs: 100 });
    await expect(call(engine)).rejects.toMatchObject({ kind: "Timeout" });
  });

  it("leaves a caller's own signal in charge", async () => {
    const engine = createDockerEngine({ url: `unix://${path}`, callTimeoutMs: 50 });
    const controller = new AbortController();
    const call = engine.containers.inspect("abc", controller.signal);
    setTimeout(() => controller.abort(), 150);
    await expect(call).rejects.toMatchObject({ kind: "Cancelled" });
  });
});
