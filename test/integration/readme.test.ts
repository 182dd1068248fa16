import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/engine/engine.js";
import { readServiceFile } from "../../src/registry/service-file.js";
import { loadConfig } from "../../src/app/config.js";
import { requireEngine } from "../support/engine.js";
import { deleteFromRegistry, registryHost, removeImages } from "../support/images.js";
import { debianPython, run } from "../support/run.js";
import { removeDataDir, removeServiceContainers, startTestServer, type TestServer } from "../support/test-server.js";

interface Example {
  kind: string;
  language: string;
  code: string;
}

/** The fenced blocks marked `<!-- readme-test[: kind] -->` of README.md, docs/container-agent.md and docs/operations.md, in order. */
function readmeExamples(): Example[] {
  const text = ["README.md", "docs/container-agent.md", "docs/operations.md"]
    .map((file) => readFileSync(file, "utf8"))
    .join("\n");
  const pattern = /<!-- readme-test(?::\s*([\w-]+))? -->\n```(\w+)\n([\s\S]*?)```/g;
  return [...text.matchAll(pattern)].map((m) => ({ kind: m[1] ?? "shell", language: m[2]!, code: m[3]! }));
}

const examples = readmeExamples();
const shellExamples = examples.filter((e) => e.kind === "shell");

describe("README examples", () => {
  let engine: Engine;
  let server: TestServer;
  let address: string;
  // The examples use the service name "hello"; clean up its containers before and after.
  const exampleServices = ["hello"];
  // The ContainerAgent examples make a container "hello-box" and push this image to the local registry.
  const exampleContainer = "hello-box";
  const exampleRepository = `${registryHost}/examples/busybox`;
  const removeExampleContainer = () =>
    engine.containers.remove(exampleContainer, { force: true, volumes: true }).catch(() => undefined);

  beforeAll(async () => {
    engine = await requireEngine();
    await removeServiceContainers(engine, exampleServices);
    await removeExampleContainer();
    server = await startTestServer(engine);
    address = server.url.replace("http://", "");
  });
  afterAll(async () => {
    // The server first: its reconciler would otherwise recreate what is removed.
    await server?.close();
    await removeServiceContainers(engine, exampleServices);
    await removeExampleContainer();
    const manifest = await fetch(`http://${exampleRepository.replace("/", "/v2/")}/manifests/1`, {
      method: "HEAD",
      headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" },
    }).catch(() => undefined);
    const digest = manifest?.headers.get("docker-content-digest");
    if (digest) await deleteFromRegistry(exampleRepository, digest);
    removeImages([`${exampleRepository}:1`]);
    if (server) removeDataDir(server.dataDir);
    rmSync("dockhand.binpb", { force: true });
  });

  it("has the examples this test expects", () => {
    expect(shellExamples).toHaveLength(6);
    expect(examples.map((e) => e.kind)).toEqual(
      expect.arrayContaining(["commands", "config", "service-file", "python"]),
    );
  });

  it.each(shellExamples.map((e, i) => [i + 1, e] as const))(
    "shell example %i runs and succeeds",
    async (_n, example) => {
      const script = `set -euo pipefail\n${example.code.replaceAll("127.0.0.1:7051", address)}`;
      // Debian's python3 has grpcio; put it first, after the project's own tools.
      const res = await run("bash", ["-c", script], {
        env: { PATH: `${process.cwd()}/node_modules/.bin:/usr/bin:${process.env.PATH}` },
      });
      // This machine's npm prints a warning about its own configuration on every npx.
      const stderr = res.stderr.split("\n").filter((line) => line !== "" && !line.startsWith("npm warn"));
      expect(stderr).toEqual([]);
      expect(res.code).toBe(0);
      expect(res.stdout).not.toMatch(/"code":/);
      expect(res.stdout.length).toBeGreaterThan(0);
    },
  );

  it("the curl example scaled to 3 and the Python example deleted the service", async () => {
    const status = await fetch(`${server.url}/dockhand.v1.ServiceRegistry/GetService`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"name": "hello"}',
    });
    expect(((await status.json()) as { code?: string }).code).toBe("not_found");
    expect(await engine.containers.list({ all: true, labels: ["dockhand.service=hello"] })).toHaveLength(0);
  });

  it("the Python snippet runs", async () => {
    const example = examples.find((e) => e.kind === "python")!;
    await run("node_modules/.bin/buf", ["build", "-o", "dockhand.binpb"]);
    await fetch(`${server.url}/dockhand.v1.ServiceRegistry/CreateService`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ service: { name: "hello", image: "dockhand-test/busybox:1" } }),
    });
    const dir = mkdtempSync(join(tmpdir(), "dockhand-readme-py-"));
    writeFileSync(
      join(dir, "snippet.py"),
      example.code
        .replaceAll("127.0.0.1:7051", address)
        .replaceAll('"dockhand.binpb"', JSON.stringify(join(process.cwd(), "dockhand.binpb"))),
    );
    const res = await run(debianPython, [join(dir, "snippet.py")], {
      env: { PYTHONPATH: join(process.cwd(), "examples/python") },
    });
    expect(res.stderr).toBe("");
    expect(res.stdout.trim()).toBe("0");
  });

  it("the configuration example is valid and uses the seed's keys", () => {
    const dir = mkdtempSync(join(tmpdir(), "dockhand-readme-cfg-"));
    writeFileSync(join(dir, "dockhand.yml"), examples.find((e) => e.kind === "config")!.code);
    expect(loadConfig(["--config", join(dir, "dockhand.yml")], {})).toMatchObject({
      port: 7051,
      serviceFile: "./services.yml",
      maxReplicas: 100,
    });
  });

  it("the service file example is valid", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dockhand-readme-sf-"));
    writeFileSync(join(dir, "services.yml"), examples.find((e) => e.kind === "service-file")!.code);
    expect(await readServiceFile(join(dir, "services.yml"))).toEqual([
      expect.objectContaining({ name: "hello", stopGraceSeconds: 10 }),
    ]);
  });

  it("npm start runs the service (the README's first command)", async () => {
    const block = examples.find((e) => e.kind === "commands")!.code;
    expect(block).toMatch(/^npm start/m);
    expect(block).toMatch(/^npm test/m);
    const dataDir = mkdtempSync(join(tmpdir(), "dockhand-readme-start-"));
    const child = spawn("npm", ["start", "--", "--port", "0", "--data-dir", dataDir], {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const lines: string[] = [];
        for (const stream of [child.stdout, child.stderr]) {
          createInterface({ input: stream }).on("line", (line) => {
            lines.push(line);
            const match = /"url":"(http:\/\/[^"]+)"/.exec(line);
            if (match) resolve(match[1]!);
          });
        }
        child.once("exit", (code) => reject(new Error(`npm start exited ${code}:\n${lines.join("\n")}`)));
      });
      const res = await fetch(`${url}/dockhand.v1.ServiceRegistry/ListServices`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      expect(res.status).toBe(200);
    } finally {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        process.kill(-child.pid!, "SIGTERM");
        await exited;
      }
      removeDataDir(dataDir);
    }
  });
});
