import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Scaler } from "../../gen/dockhand/v1/scaler_pb.js";
import { ServiceRegistry } from "../../gen/dockhand/v1/registry_pb.js";
import type { Engine } from "../../src/engine/engine.js";
import { ownershipOf, serviceFilter } from "../../src/model/ownership-labels.js";
import { clientFor } from "../support/clients.js";
import { requireEngine } from "../support/engine.js";
import { run } from "../support/run.js";
import { removeDataDir, removeServiceContainers, startTestServer, type TestServer } from "../support/test-server.js";

/** The fenced block of docs/deployments.md marked `<!-- docs-deployments-test -->`. */
function example(): string {
  const pattern = /<!-- docs-deployments-test -->\n```bash\n([\s\S]*?)```/g;
  const blocks = [...readFileSync("docs/deployments.md", "utf8").matchAll(pattern)].map((m) => m[1]!);
  expect(blocks).toHaveLength(1);
  return blocks[0]!;
}

describe("docs/deployments.md: a canary promoted, then one reverted, with curl", () => {
  let engine: Engine;
  let server: TestServer;

  beforeAll(async () => {
    engine = await requireEngine();
    // The example's service is named `web`: its own dockhand and data directory, cleaned first.
    await removeServiceContainers(engine, ["web"]);
    server = await startTestServer(engine);
  });
  afterAll(async () => {
    await clientFor(ServiceRegistry, server.url)
      .deleteService({ name: "web", force: true })
      .catch(() => undefined);
    await server?.close();
    await removeServiceContainers(engine, ["web"]);
    if (server) removeDataDir(server.dataDir);
  });

  it("runs as written and ends as it says", async () => {
    const script = example().replaceAll("127.0.0.1:7051", server.url.replace("http://", ""));
    const res = await run("bash", ["-c", `set -euo pipefail\n${script}`]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const answers = res.stdout.trim().split("\n");
    expect(answers.at(-1)).toMatch(
      /^\{"code":"failed_precondition","message":"the rollout of service \\"web\\" to version 3 failed and was rolled back: /,
    );
    expect(answers.slice(0, -1).join("\n")).not.toMatch(/"code":/);
    const running = (await engine.containers.list({ all: false, labels: [serviceFilter("web")] }))
      .map((c) => [c.name, ownershipOf(c.labels)?.definitionVersion])
      .sort();
    expect(running).toEqual([
      ["web-1", 2],
      ["web-2", 2],
    ]);
    expect((await clientFor(Scaler, server.url).getStatus({ name: "web" })).status?.update?.canaries).toBe(0);
  });
});
