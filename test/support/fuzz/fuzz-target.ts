import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDockerEngine } from "../../../src/engine/docker/docker-engine.js";
import { spawnDockhand, type DockhandProcess } from "../dockhand-process.js";
import { testImage } from "../engine.js";
import { registryHost } from "../images.js";
import { startSecondEngine, type SecondEngine } from "../second-engine.js";
import { fuzzPrefix, type FuzzFixtures } from "./fuzz-values.js";

/**
 * What the fuzzer fires at: dockhand as a child process (so its RSS is its own), with its own
 * data directory and instance, driving a private dockerd in a network namespace of its own.
 * Whatever a random call manages to do, it does to that engine only, which cannot reach the
 * shared engine, the host's network or the registry; host-power options stay off.
 */
export interface FuzzTarget {
  readonly url: string;
  readonly docker: ReturnType<typeof createDockerEngine>["docker"];
  readonly fixtures: FuzzFixtures;
  readonly pid: number;
  /** dockhand's resident set, in MiB. */
  rssMb(): number;
  /** Whether dockhand still runs and answers /healthz. */
  healthy(): Promise<boolean>;
  /** The last lines dockhand wrote, for a failure report. */
  output(): string;
  close(): Promise<void>;
}

export async function startFuzzTarget(): Promise<FuzzTarget> {
  const second: SecondEngine = await startSecondEngine("fuzz");
  const dataDir = mkdtempSync(join(tmpdir(), "dockhand-fuzz-"));
  let dockhand: DockhandProcess | undefined;
  const close = async () => {
    if (dockhand && dockhand.child.exitCode === null && dockhand.child.signalCode === null) {
      dockhand.child.kill("SIGTERM");
      await dockhand.exited;
    }
    await second.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    second.loadImage(testImage);
    const engine = createDockerEngine({ url: second.url });
    // At info, as the line that says where it listens is an info line.
    dockhand = await spawnDockhand(["--docker-url", second.url, "--data-dir", dataDir, "--log-level", "info"], {
      DOCKHAND_MAX_REPLICAS: "3",
      DOCKHAND_LOAD_MAX_BYTES: String(16 * 1024 * 1024),
      DOCKHAND_LOAD_TIMEOUT_MS: "2000",
    });
    const url = dockhand.url;
    const fixtures: FuzzFixtures = {
      service: `${fuzzPrefix}-svc`,
      container: `${fuzzPrefix}-box`,
      image: testImage,
      registry: registryHost,
    };
    await post(url, "dockhand.v1.ServiceRegistry/CreateService", {
      service: { name: fixtures.service, image: testImage, command: ["sleep", "3600"], init: true },
    });
    await post(url, "dockhand.v1.Scaler/Scale", { name: fixtures.service, replicas: 1 });
    await post(url, "dockhand.v1.ContainerAgent/CreateContainer", {
      spec: { name: fixtures.container, image: testImage, command: ["sleep", "3600"], init: true },
    });
    await post(url, "dockhand.v1.ContainerAgent/StartContainer", { id: fixtures.container });
    const pid = dockhand.child.pid!;
    const process = dockhand;
    return {
      url,
      docker: engine.docker,
      fixtures,
      pid,
      rssMb: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024,
      healthy: async () =>
        process.child.exitCode === null &&
        (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(10_000) }).then(
          (r) => r.ok,
          () => false,
        )),
      output: () => process.output.slice(-20).join("\n"),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

async function post(url: string, procedure: string, body: unknown): Promise<void> {
  const res = await fetch(`${url}/${procedure}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`fuzz set-up: ${procedure} failed: ${await res.text()}`);
}
