import { execFileSync } from "node:child_process";
import { createDockerEngine } from "../../src/engine/docker/docker-engine.js";
import type { Engine } from "../../src/engine/engine.js";

export const testImage = "dockhand-test/busybox:1";
export const dockerUrl = process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";

const howToStart =
  "Integration tests need a real Docker engine. Start one with `sudo bash scripts/ensure-engine.sh` " +
  "(installs Debian's docker.io and starts dockerd), or run `npm test`, which does it for you, " +
  "or point DOCKER_HOST at a running engine.";

/** The real engine; throws with instructions when none answers. Tests fail, never skip. */
export async function requireEngine(): Promise<Engine & { docker: import("dockerode") }> {
  const engine = createDockerEngine({ url: dockerUrl });
  try {
    await engine.system.ping(AbortSignal.timeout(5000));
  } catch (err) {
    throw new Error(`No Docker engine answers at ${dockerUrl} (${(err as Error).message}). ${howToStart}`);
  }
  return engine;
}

/** Builds the FROM-scratch busybox test image when it is missing. */
export function ensureTestImage(): void {
  execFileSync("bash", ["scripts/build-test-image.sh", testImage], { stdio: "inherit" });
}
