import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { testImage } from "./engine.js";

/** Where the pull/push tests' registry listens (scripts/start-registry.sh). */
export const registryHost = "127.0.0.1:5000";

let counter = 0;
/** A repository name no other test (or earlier run) uses, under dockhand-imgtest/. */
export function uniqueRepository(prefix: string, registry = ""): string {
  const name = `dockhand-imgtest/${prefix}-${process.pid}-${Date.now().toString(36)}-${counter++}`;
  return registry ? `${registry}/${name}` : name;
}

/**
 * Builds a small image on top of the busybox test image, made distinct by a label and a file
 * of its own (so it has its own id and one layer of its own; COPY needs no container, unlike
 * RUN), and returns its id. Without `tag` the image is left untagged (dangling).
 */
export function buildImage(tag?: string, marker = `${process.pid}-${counter++}-${Date.now()}`): string {
  const context = mkdtempSync(join(tmpdir(), "dockhand-imgtest-"));
  try {
    writeFileSync(join(context, "marker"), `${marker}\n`);
    writeFileSync(
      join(context, "Dockerfile"),
      `FROM ${testImage}\nLABEL dockhand.imgtest=${JSON.stringify(marker)}\nCOPY marker /marker\n`,
    );
    const args = ["build", "-q", ...(tag ? ["-t", tag] : []), context];
    return execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
}

/** Removes images by id or tag, ignoring ones already gone. */
export function removeImages(refs: readonly string[]): void {
  for (const ref of refs) {
    try {
      execFileSync("docker", ["rmi", "-f", ref], { stdio: "ignore" });
    } catch {
      // Already removed by the test itself.
    }
  }
}

/** Deletes a manifest from the test registry (storage delete is enabled there). */
export async function deleteFromRegistry(repository: string, digest: string): Promise<void> {
  const path = repository.slice(registryHost.length + 1);
  await fetch(`http://${registryHost}/v2/${path}/manifests/${digest}`, { method: "DELETE" }).catch(() => undefined);
}

/** Writes `docker save` of the given references to `file`. */
export function saveImages(file: string, refs: readonly string[]): void {
  execFileSync("docker", ["save", "-o", file, ...refs]);
}
