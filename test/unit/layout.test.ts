import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";

/** The layers of src/ and what each may not import: the arrows of docs/architecture.md. */
const forbidden: Record<string, string[]> = {
  rpc: ["app", "transport"],
  compat: ["app"],
  orchestrator: ["app", "transport", "rpc", "compat"],
  registry: ["app", "transport", "rpc", "compat", "orchestrator", "engine"],
  model: ["app", "transport", "rpc", "compat", "orchestrator", "registry", "engine"],
  engine: ["app", "transport", "rpc", "compat", "orchestrator", "registry"],
  lib: ["app", "transport", "rpc", "compat", "orchestrator", "registry", "model", "engine"],
  cli: ["app", "transport", "rpc", "compat", "orchestrator", "registry", "engine"],
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function foldersUnder(dir: string): string[] {
  return readdirSync(dir)
    .map((entry) => join(dir, entry))
    .filter((path) => statSync(path).isDirectory())
    .flatMap((path) => [path, ...foldersUnder(path)]);
}

/** Each import of a source file: the package name, or the repository path it points at. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)].map(([, spec]) =>
    spec!.startsWith(".") ? normalize(join(dirname(file), spec!)) : spec!,
  );
}

const sources = filesUnder("src").filter((f) => f.endsWith(".ts"));
const layerOf = (path: string) => relative("src", path).split("/")[0]!;

describe("src/ layout", () => {
  it("keeps each layer's imports pointing down", () => {
    const wrong: string[] = [];
    for (const file of sources) {
      const banned = forbidden[layerOf(file)] ?? [];
      for (const target of importsOf(file)) {
        if (target.startsWith("src/") && banned.includes(layerOf(target))) wrong.push(`${file} imports ${target}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("imports dockerode only in engine/docker, and nothing from test/ (the fake engine is not shipped)", () => {
    const wrong: string[] = [];
    for (const file of sources) {
      for (const target of importsOf(file)) {
        if ((target === "dockerode" || target === "docker-modem") && !file.startsWith("src/engine/docker/"))
          wrong.push(`${file} imports ${target}`);
        if (target.startsWith("test/")) wrong.push(`${file} imports ${target}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(sources.filter((f) => /fake/.test(f))).toEqual([]);
  });

  it("opens each folder with a README that says what the folder is for", () => {
    const missing = ["src", ...foldersUnder("src")].filter((dir) => !readdirSync(dir).includes("README.md"));
    expect(missing).toEqual([]);
  });

  it("agrees with docs/architecture.md: every folder named there exists, and every folder is named", () => {
    const page = readFileSync("docs/architecture.md", "utf8");
    const section = page.slice(0, page.indexOf("\n## "));
    expect(section.length).toBeGreaterThan(100);
    const named = new Set([...section.matchAll(/\bsrc\/[a-z/-]+\//g)].map(([path]) => path.replace(/\/$/, "")));
    const folders = foldersUnder("src");
    expect([...named].filter((path) => !folders.includes(path))).toEqual([]);
    expect(folders.filter((path) => !named.has(path))).toEqual([]);
  });

  describe("the service controller above the backends", () => {
    const text = (file: string) => readFileSync(file, "utf8");
    const controller = "src/orchestrator/service-controller.ts";

    it("is the only code that starts a rollout: no handler, route or registry caller calls rollOut", () => {
      const callers = sources.filter((file) => /\.rollOut\(/.test(text(file)));
      expect(callers).toEqual([controller]);
    });

    it("holds the delete refusal, the replica check and last-Scale-wins once in src/", () => {
      const once = (pattern: RegExp) => sources.filter((file) => pattern.test(text(file)));
      expect(once(/scale it to 0 first, or delete with force/)).toEqual([controller]);
      expect(once(/invalidArgument\("replicas", `must be between/)).toEqual([controller]);
      expect(once(/was superseded by a later Scale call/)).toEqual([controller]);
      expect(once(/latestRequest/)).toEqual([controller]);
    });

    it("leaves the backends only the verbs of ServiceBackend: neither makes a status cache or a watcher", () => {
      for (const dir of ["src/orchestrator/local", "src/orchestrator/swarm"]) {
        for (const file of filesUnder(dir).filter((f) => f.endsWith(".ts"))) {
          expect(text(file), file).not.toMatch(/createStatusCache|createStatusWatcher/);
        }
      }
    });
  });
});
