import { mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { rolesTable } from "../../src/transport/auth/roles-table.js";
import { spawnDockhand, type DockhandProcess } from "../support/dockhand-process.js";
import { debianPython, run } from "../support/run.js";

/** The fenced blocks of docs/security.md marked `<!-- readme-network-test: kind -->`, by kind. */
function networkExamples(): Record<string, string> {
  const text = readFileSync("docs/security.md", "utf8");
  const pattern = /<!-- readme-network-test: ([\w-]+) -->\n```sh\n([\s\S]*?)```/g;
  return Object.fromEntries([...text.matchAll(pattern)].map((m) => [m[1]!, m[2]!]));
}

/** docs/security.md, "Running on a network", run as a newcomer would, in a folder of its own. */
describe("docs/security.md: Running on a network", () => {
  const examples = networkExamples();
  const work = mkdtempSync(join(tmpdir(), "dockhand-readme-net-"));
  for (const entry of ["node_modules", "examples", "proto", "buf.yaml"]) symlinkSync(resolve(entry), join(work, entry));
  let dockhand: DockhandProcess | undefined;
  afterAll(async () => {
    dockhand?.child.kill("SIGTERM");
    await dockhand?.exited;
    rmSync(work, { recursive: true, force: true });
  });

  it("has the certificates, tokens, start and clients examples", () => {
    expect(Object.keys(examples).sort()).toEqual(["certificates", "clients", "start", "tokens"]);
  });

  it("prints the role table the code has (npm run docs:tables)", () => {
    expect(readFileSync("docs/security.md", "utf8")).toContain(rolesTable());
  });

  it("makes certificates and a token, starts dockhand with them, and the curl, buf curl and Python examples answer", async () => {
    for (const kind of ["certificates", "tokens"]) {
      const made = await run("bash", ["-euo", "pipefail", "-c", examples[kind]!], { cwd: work });
      expect(made.code, `${kind}: ${made.stderr}`).toBe(0);
    }
    expect(readFileSync(join(work, "tokens.yml"), "utf8")).not.toContain(
      readFileSync(join(work, "ci-deployer.token"), "utf8").trim(),
    );

    // The start line's flags, on loopback and a free port here (the page binds every address).
    const start = examples.start!.trim();
    const flags = start
      .slice(start.indexOf(" -- ") + 4)
      .trim()
      .split(/\s+/);
    const args: string[] = [];
    for (let i = 0; i < flags.length; i += 2) {
      if (flags[i] === "--bind") continue;
      args.push(flags[i]!, join(work, flags[i + 1]!));
    }
    expect(args).toContain("--tls-cert");
    dockhand = await spawnDockhand([...args, "--data-dir", join(work, "data")]);
    expect(dockhand.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    const address = dockhand.url.replace("https://", "");
    const script = examples.clients!.replaceAll("127.0.0.1:7051", address).replace(/^python3 /m, `${debianPython} `);
    const lines = script
      .replace(/\\\n\s*/g, "")
      .split("\n")
      .filter((line) => line.trim() !== "");
    expect(lines).toHaveLength(4);
    for (const line of lines) {
      const result = await run("bash", ["-euo", "pipefail", "-c", line], { cwd: work });
      expect(result.code, `${line}\n${result.stderr}`).toBe(0);
      if (!line.includes("buf build")) expect(JSON.parse(result.stdout), line).toBeTypeOf("object");
    }
  });
});
