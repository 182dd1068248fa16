import { execFileSync } from "node:child_process";
import { ensureTestImage, requireEngine } from "./engine.js";
import { testServiceName } from "./service-names.js";

export default async function setup(): Promise<() => Promise<void>> {
  const engine = await requireEngine();
  ensureTestImage();
  // The pull/push tests need a registry on 127.0.0.1:5000; this starts one unless it answers.
  execFileSync("bash", ["scripts/start-registry.sh"], { stdio: "inherit" });
  const startedAt = Date.now();
  // Names made by this run's workers carry this run's id (see service-names.ts).
  process.env.DOCKHAND_TEST_RUN = String(process.pid);

  /**
   * Each test file removes what it made; this is the net under that, so that a failed or
   * interrupted file leaves no test service running on the engine. Only this run's: another run
   * on the same engine keeps its containers. It names what it removes,
   * since anything found here is a clean-up a test missed.
   */
  return async () => {
    const left = (await engine.containers.list({ all: true, labels: ["dockhand.service"] })).filter(
      (c) =>
        testServiceName.exec(c.labels["dockhand.service"] ?? "")?.[1] === String(process.pid) &&
        c.createdAt.getTime() >= startedAt - 1000,
    );
    if (left.length === 0) return;
    console.warn(
      `test clean-up: removing ${left.length} container(s) the tests left: ${left.map((c) => c.name).join(", ")}`,
    );
    await Promise.all(
      left.map((c) => engine.containers.remove(c.id, { force: true, volumes: true }).catch(() => undefined)),
    );
  };
}
