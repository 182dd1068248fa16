import { execFileSync } from "node:child_process";
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
 * Builds a small image on top of the busybox test image, made distinct by a label (so it gets
 * its own id), and returns its id. Without `tag` the image is left untagged (dangling).
 */
export function buildImage(tag?: string, marker = `${process.pid}-${counter++}-${Date.now()}`): string {
  const dockerfile = `FROM ${testImage}\nLABEL dockhand.imgtest=${JSON.stringify(marker)}\nRUN echo ${marker} > /marker\n`;
  const args = ["build", "-q", ...(tag ? ["-t", tag] : []), "-"];
  return execFileSync("docker", args, { input: dockerfile, encoding: "utf8", stdio: ["pipe", "pipe", "ignore"] }).trim();
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
