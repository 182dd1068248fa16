import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../src/engine/engine.js";
import { requireEngine } from "../support/engine.js";
import { run } from "../support/run.js";
import { until } from "../support/until.js";
import { removeDataDir, removeServiceContainers, startTestServer, type TestServer } from "../support/test-server.js";

interface Example {
  file: string;
  untilCancelled: boolean;
  code: string;
}

/** The blocks marked `<!-- streams-test[: until-cancelled] -->`: the README's, then docs/streams.md's, in order. */
function streamExamples(): Example[] {
  return ["README.md", "docs/streams.md"].flatMap((file) =>
    [...readFileSync(file, "utf8").matchAll(/<!-- streams-test(: until-cancelled)? -->\n```bash\n([\s\S]*?)```/g)].map(
      (m) => ({ file, untilCancelled: m[1] !== undefined, code: m[2]! }),
    ),
  );
}

/** What each example must print, by what it calls. */
const expected: Array<[RegExp, RegExp]> = [
  [/Scaler\/WatchStatus/, /"name": "ticker-\d+",\s+"desired": 2/],
  [/Scaler\/WatchServices/, /"reset": true/],
  [/envelope '/, /"line":"tick \d+"[\s\S]*\nend of stream: \{\}\n$/],
  [/Scaler\/StreamServiceLogs/, /"slot": 2,[\s\S]*"line": "tick \d+"/],
  [/ContainerAgent\/StreamLogs/, /"OUTPUT_STREAM_STDOUT",\s+"lines": \[\s+"tick \d+"[\s\S]*"times": \[\s+"\d{4}-/],
  [/ContainerAgent\/WatchEvents/, /"connected": \{\}/],
  [/ContainerAgent\/StreamStats/, /"memoryUsageBytes": "\d+"/],
  [/Health\/Watch/, /"status": "SERVING"/],
  [/ContainerAgent\/Exec/, /"data": "aGVsbG8K"[\s\S]*"result": \{\}/],
  [/base64 -d/, /^hello\n$/],
  [/CreateSecret/, /"name":"api-token","version":"1".*"sizeBytes":9[\s\S]*"version":"2".*"sizeBytes":9/],
  [/DeleteService/, /^\{"removedContainers":2\}$/],
  [/CreateService/, /"desired":2,"running":2/],
];

/** The first complete JSON object buf curl printed (it pretty-prints each message, closing at column 0). */
function firstMessage(stdout: string): unknown {
  const end = stdout.indexOf("\n}\n");
  return end < 0 ? undefined : JSON.parse(stdout.slice(0, end + 2));
}

const quiet = (stderr: string) => stderr.split("\n").filter((line) => line !== "" && !line.startsWith("npm warn"));

describe("docs/streams.md and the README's streams, run as written", () => {
  const examples = streamExamples();
  let engine: Engine;
  let server: TestServer;
  let env: NodeJS.ProcessEnv;
  // The examples' service, renamed for this run (its containers are <service>-<slot> on a shared engine).
  const ticker = `ticker-${process.pid}`;
  const script = (example: Example) =>
    `set -euo pipefail\n${example.code
      .replaceAll("127.0.0.1:7051", server.url.replace("http://", ""))
      .replace(/\bticker\b/g, ticker)}`;

  beforeAll(async () => {
    engine = await requireEngine();
    await removeServiceContainers(engine, [ticker]);
    server = await startTestServer(engine);
    env = { PATH: `${process.cwd()}/node_modules/.bin:/usr/bin:${process.env.PATH}` };
  });
  afterAll(async () => {
    await server?.close();
    await removeServiceContainers(engine, [ticker]);
    if (server) removeDataDir(server.dataDir);
  });

  it("has an example of every stream of the table, each with what it must print", () => {
    expect(examples.filter((e) => e.file === "README.md").length).toBeGreaterThan(0);
    const streams = ["/WatchStatus", "/WatchServices", "/StreamServiceLogs", "/StreamLogs", "/WatchEvents"];
    for (const rpc of [...streams, "/StreamStats", "/Exec", ".Health/Watch", "/CreateSecret"])
      expect(
        examples.some((e) => e.code.includes(rpc)),
        rpc,
      ).toBe(true);
    for (const example of examples)
      expect(
        expected.some(([call]) => call.test(example.code)),
        example.code,
      ).toBe(true);
  });

  it.each(examples.map((e, i) => [i + 1, e.file, e.untilCancelled ? "until cancelled" : "to its end", e] as const))(
    "example %i of %s runs %s and prints what it should",
    async (_n, _file, _how, example) => {
      const [, shape] = expected.find(([call]) => call.test(example.code))!;
      if (!example.untilCancelled) {
        const res = await run("bash", ["-c", script(example)], { env });
        expect(quiet(res.stderr)).toEqual([]);
        expect(res.code).toBe(0);
        expect(res.stdout).not.toMatch(/"code": ?"/);
        expect(res.stdout).toMatch(shape);
        return;
      }
      // A watch: started as a user would, read until its first message, then stopped with Ctrl-C.
      const child = spawn("bash", ["-c", script(example)], {
        detached: true,
        env: { ...process.env, ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const exited = new Promise((resolve) => child.once("exit", resolve));
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      try {
        await until(() => firstMessage(stdout) !== undefined || child.exitCode !== null, 60_000);
        expect(child.exitCode, stderr).toBeNull();
        expect(quiet(stderr)).toEqual([]);
        expect(JSON.stringify(firstMessage(stdout), null, 2)).toMatch(shape);
      } finally {
        if (child.exitCode === null) process.kill(-child.pid!, "SIGINT");
        await exited;
      }
    },
  );
});
