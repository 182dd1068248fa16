import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino, type Logger } from "pino";
import type { Engine } from "../../src/engine/engine.js";
import { defaults, type Config } from "../../src/app/config.js";
import { startDockhandServer, type DockhandServer } from "../../src/app/dockhand-server.js";
import { serviceFilter } from "../../src/model/ownership-labels.js";
import { dockerUrl } from "./engine.js";

export interface TestServer extends DockhandServer {
  readonly dataDir: string;
  readonly config: Config;
}

/** A dockhand server on a free loopback port with its own temporary data directory. */
export async function startTestServer(
  engine: Engine,
  overrides: Partial<Config> = {},
  logger?: Logger,
): Promise<TestServer> {
  const dataDir = overrides.dataDir ?? mkdtempSync(join(tmpdir(), "dockhand-test-"));
  const config: Config = { ...defaults, port: 0, dockerUrl, dataDir, logLevel: "silent", ...overrides };
  const server = await startDockhandServer({ config, engine, logger: logger ?? pino({ level: config.logLevel }) });
  return Object.assign(Object.create(server) as DockhandServer, server, { dataDir, config });
}

export function removeDataDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export { uniqueServiceName } from "./service-names.js";

/** Force-removes every container of the given services, whatever state they are in. */
export async function removeServiceContainers(engine: Engine, names: readonly string[]): Promise<void> {
  for (const name of names) {
    const containers = await engine.containers.list({ all: true, labels: [serviceFilter(name)] });
    await Promise.all(
      containers.map((c) => engine.containers.remove(c.id, { force: true, volumes: true }).catch(() => undefined)),
    );
  }
}
