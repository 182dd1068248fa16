import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/engine/engine.js";
import { requireEngine } from "../support/engine.js";
import { run } from "../support/run.js";
import { removeDataDir, startTestServer, type TestServer } from "../support/test-server.js";

/** The fenced blocks of docs/container-agent.md marked `<!-- readme-exec-test -->`: the terminal and copy examples. */
function examples(): string[] {
  const pattern = /<!-- readme-exec-test -->\n```bash\n([\s\S]*?)```/g;
  return [...readFileSync("docs/container-agent.md", "utf8").matchAll(pattern)].map((m) => m[1]!);
}

describe("docs/container-agent.md: ExecSession and copies with buf curl and curl", () => {
  let engine: Engine;
  let server: TestServer;
  const container = "hello-shell";
  const remove = () => engine.containers.remove(container, { force: true, volumes: true }).catch(() => undefined);

  beforeAll(async () => {
    engine = await requireEngine();
    await remove();
    server = await startTestServer(engine);
  });
  afterAll(async () => {
    await server?.close();
    await remove();
    if (server) removeDataDir(server.dataDir);
  });

  it("runs every example as written, and each prints what it says", async () => {
    const blocks = examples();
    expect(blocks).toHaveLength(1);
    const address = server.url.replace("http://", "");
    for (const block of blocks) {
      const res = await run("bash", ["-c", `set -euo pipefail\n${block.replaceAll("127.0.0.1:7051", address)}`], {
        env: { PATH: `${process.cwd()}/node_modules/.bin:/usr/bin:${process.env.PATH}` },
      });
      const stderr = res.stderr.split("\n").filter((line) => line !== "" && !line.startsWith("npm warn"));
      expect(stderr).toEqual([]);
      expect(res.code).toBe(0);
      expect(res.stdout).not.toMatch(/"code":/);
      // The session: started, the typed line back from cat (base64), and cat's shell's exit code.
      expect(res.stdout).toContain('"started": {}');
      expect(res.stdout).toContain(`"data": "${Buffer.from("typed\n").toString("base64")}"`);
      expect(res.stdout).toMatch(/"exitCode": 3/);
      // The copy in, and the same bytes out.
      expect(res.stdout).toContain('"entries":1');
      expect(res.stdout).toContain(`"content":"${Buffer.from("hello\n").toString("base64")}"`);
    }
    expect(await engine.containers.list({ all: true, name: container })).toHaveLength(0);
  });
});
