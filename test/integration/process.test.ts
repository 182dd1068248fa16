import { createServer, type AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/engine/engine.js";
import { requireEngine, testImage } from "../support/engine.js";
import { runDockhandToExit, spawnDockhand } from "../support/dockhand-process.js";
import { removeServiceContainers, uniqueServiceName } from "../support/test-server.js";

async function call(
  url: string,
  procedure: string,
  body: object,
): Promise<{ code?: string; message?: string } & Record<string, any>> {
  const res = await fetch(`${url}/${procedure}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return (await res.json()) as Record<string, any>;
}

/** dockhand as a real process: restarts, shutdown, start-up failures. */
describe("the dockhand process", () => {
  let engine: Engine;
  const names: string[] = [];
  const serviceName = (prefix: string) => {
    const name = uniqueServiceName(prefix);
    names.push(name);
    return name;
  };
  const dataDir = () => mkdtempSync(join(tmpdir(), "dockhand-proc-"));

  beforeAll(async () => {
    engine = await requireEngine();
  });
  afterAll(async () => {
    await removeServiceContainers(engine, names);
  });

  it("keeps definitions and desired counts across a restart", async () => {
    const dir = dataDir();
    const name = serviceName("restart");
    const first = await spawnDockhand(["--data-dir", dir]);
    await call(first.url, "dockhand.v1.ServiceRegistry/CreateService", {
      service: { name, image: testImage, command: ["sleep", "3600"], init: true, environment: { A: "1" } },
    });
    expect(await call(first.url, "dockhand.v1.Scaler/Scale", { name, replicas: 2 })).toMatchObject({
      status: { running: 2 },
    });
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);

    const second = await spawnDockhand(["--data-dir", dir]);
    try {
      const got = await call(second.url, "dockhand.v1.ServiceRegistry/GetService", { name });
      expect(got.service).toMatchObject({ name, image: testImage, replicas: 2, version: "1", environment: { A: "1" } });
      expect(await call(second.url, "dockhand.v1.Scaler/GetStatus", { name })).toMatchObject({
        status: { desired: 2, running: 2 },
      });
    } finally {
      second.child.kill("SIGTERM");
      await second.exited;
    }
  });

  it("drains an in-flight Scale on SIGTERM and exits within 10 s", async () => {
    const name = serviceName("drain");
    const proc = await spawnDockhand(["--data-dir", dataDir()]);
    await call(proc.url, "dockhand.v1.ServiceRegistry/CreateService", {
      service: { name, image: testImage, command: ["sleep", "3600"], init: true },
    });
    const inFlight = call(proc.url, "dockhand.v1.Scaler/Scale", { name, replicas: 4 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const signalled = Date.now();
    proc.child.kill("SIGTERM");
    expect(await inFlight).toMatchObject({ status: { running: 4 } });
    expect(await proc.exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(10_000);
    expect(proc.output.join("\n")).toContain("draining in-flight calls");
  });

  it("refuses to start over a corrupt state file, says why, and leaves the file untouched", async () => {
    const dir = dataDir();
    writeFileSync(join(dir, "state.json"), '{"format": 1, "services": {"web": ');
    const result = await runDockhandToExit(["--data-dir", dir]);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/state file .*state\.json is corrupt/);
    expect(readFileSync(join(dir, "state.json"), "utf8")).toBe('{"format": 1, "services": {"web": ');
  });

  it("refuses a second dockhand on the same data directory, naming the pid that holds it, and lets it go on exit", async () => {
    const dir = dataDir();
    const first = await spawnDockhand(["--data-dir", dir]);
    try {
      const second = await runDockhandToExit(["--data-dir", dir]);
      expect(second.code).toBe(1);
      expect(second.output).toContain(`in use by another dockhand (pid ${first.child.pid})`);
    } finally {
      first.child.kill("SIGTERM");
      await first.exited;
    }
    // The first one let the directory go when it stopped: a new one starts on it.
    const next = await spawnDockhand(["--data-dir", dir]);
    next.child.kill("SIGTERM");
    await next.exited;
  });

  it("exits when start-up fails late (its port is taken), leaving nothing running that would keep it alive", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    try {
      const port = (taken.address() as AddressInfo).port;
      // runDockhandToExit kills a child that has not exited within 30 s: a hang ends as SIGKILL.
      const result = await runDockhandToExit(["--data-dir", dataDir(), "--port", String(port)]);
      expect(result.code).toBe(1);
      expect(result.output).toMatch(/cannot start: .*EADDRINUSE|address already in use/);
    } finally {
      taken.close();
    }
  });

  it("stops on a bad configuration value, naming the key", async () => {
    const result = await runDockhandToExit(["--data-dir", dataDir()], { DOCKHAND_MAX_REPLICAS: "lots" });
    expect(result.code).toBe(2);
    expect(result.output).toContain("environment DOCKHAND_MAX_REPLICAS: must be a whole number");
  });

  it("loads the YAML service file at start-up", async () => {
    const dir = dataDir();
    const name = serviceName("file");
    const file = join(dir, "services.yml");
    writeFileSync(
      file,
      `services:\n  ${name}:\n    image: ${testImage}\n    command: [sleep, "3600"]\n    init: true\n`,
    );
    const proc = await spawnDockhand(["--data-dir", dir, "--service-file", file]);
    try {
      expect(await call(proc.url, "dockhand.v1.ServiceRegistry/GetService", { name })).toMatchObject({
        service: { name, command: ["sleep", "3600"] },
      });
    } finally {
      proc.child.kill("SIGTERM");
      await proc.exited;
    }
  });

  it("starts without an engine and answers UNAVAILABLE with a clear message", async () => {
    const name = serviceName("noengine");
    const proc = await spawnDockhand([
      "--data-dir",
      dataDir(),
      "--docker-url",
      "unix:///tmp/dockhand-no-such-engine.sock",
    ]);
    try {
      await call(proc.url, "dockhand.v1.ServiceRegistry/CreateService", { service: { name, image: testImage } });
      const res = await call(proc.url, "dockhand.v1.Scaler/Scale", { name, replicas: 1 });
      expect(res.code).toBe("unavailable");
      expect(res.message).toContain("Docker engine unreachable");
      expect(await call(proc.url, "dockhand.v1.ServiceRegistry/GetService", { name })).toMatchObject({
        service: { name, replicas: 1 },
      });
    } finally {
      proc.child.kill("SIGTERM");
      await proc.exited;
    }
  });
});
