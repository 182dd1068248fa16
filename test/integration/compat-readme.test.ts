import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { run } from "../support/run.js";
import { useTestServer } from "../support/server-fixture.js";

/** The `<!-- readme-test: genisys -->` and `mistify` blocks of docs/migrating.md, the page for the seeds' users. */
function example(kind: "genisys" | "mistify"): string {
  const match = new RegExp(`<!-- readme-test: ${kind} -->\\n\`\`\`bash\\n([\\s\\S]*?)\`\`\``).exec(
    readFileSync("docs/migrating.md", "utf8"),
  );
  if (!match) throw new Error(`docs/migrating.md has no readme-test: ${kind} block`);
  return match[1];
}

const mistifyGuest = "6f1c2f4e-2b7d-4f0e-9a55-0c6a3f1d2e11";

describe("docs/migrating.md: coming from genisys-connector-docker or mistify-agent-docker", () => {
  const fixture = useTestServer();

  const runExample = async (kind: "genisys" | "mistify") => {
    const address = fixture.server.url.replace("http://", "");
    const res = await run("bash", ["-c", `set -euo pipefail\n${example(kind).replaceAll("127.0.0.1:7051", address)}`]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    return res.stdout;
  };

  it("runs the genisys curl examples", async () => {
    // The example ends at 0 containers; any left by a failure are removed here.
    const stdout = await runExample("genisys").finally(() =>
      fixture.engine.containers
        .list({ all: true, labels: ["dockhand.service=skynet_web"] })
        .then((left) =>
          Promise.all(left.map((c) => fixture.engine.containers.remove(c.id, { force: true, volumes: true }))),
        ),
    );
    const lines = stdout.split("\n").filter((line) => line !== "");
    expect(lines[0]).toBe('{"running_resources":2}');
    expect(JSON.parse(lines[1])).toEqual({
      name: "skynet_web",
      image: "dockhand-test/busybox:1",
      command: "sh -c 'exec httpd -f -p 8080'",
      environment: { SERVICE_NAME: "skynet_web" },
      ports: ["8080"],
    });
  });

  it("runs the mistify curl examples", async () => {
    await fixture.engine.containers.remove(mistifyGuest, { force: true, volumes: false }).catch(() => undefined);
    const stdout = await runExample("mistify").finally(() =>
      fixture.engine.containers.remove(mistifyGuest, { force: true, volumes: false }).catch(() => undefined),
    );
    const replies = stdout
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as { result: Record<string, any>; error: unknown; id: number });
    expect(replies).toHaveLength(5);
    for (const reply of replies) expect(reply).toMatchObject({ error: null, id: 1 });
    expect(replies.map((r) => r.result.guest?.state)).toEqual(["stopped", "running", undefined, "deleted", undefined]);
    expect(replies[2].result.containers[0]).toMatchObject({ Name: `/${mistifyGuest}`, State: { Running: true } });
    expect(replies[4].result.ID).toMatch(/\S/);
  });
});
