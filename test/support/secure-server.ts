import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { defaults, type Config } from "../../src/server/config.js";
import { startDockhandServer, type DockhandServer } from "../../src/server/dockhand-server.js";
import { dockerUrl, requireEngine } from "./engine.js";
import { removeDataDir } from "./test-server.js";

export interface LoggedServer extends DockhandServer {
  /** Every log line the server wrote, parsed. */
  readonly lines: Array<Record<string, unknown>>;
  /** The raw text of every log line. */
  readonly text: () => string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** A dockhand on a free loopback port whose info-level log lines are kept for the test to read. */
export async function startLoggedServer(overrides: Partial<Config>): Promise<LoggedServer> {
  const engine = await requireEngine();
  const dataDir = mkdtempSync(join(tmpdir(), "dockhand-secure-"));
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      raw.push(...chunk.toString("utf8").split("\n").filter((line) => line !== ""));
      callback();
    },
  });
  const config: Config = { ...defaults, port: 0, dockerUrl, dataDir, logLevel: "info", ...overrides };
  const server = await startDockhandServer({ config, engine, logger: pino({ level: "info" }, sink) });
  const logged = Object.assign(Object.create(server) as DockhandServer, server, {
    dataDir,
    text: () => raw.join("\n"),
    async stop() {
      await server.close();
      removeDataDir(dataDir);
    },
  });
  // A getter, so each read parses what was written until then (Object.assign would copy one snapshot).
  return Object.defineProperty(logged, "lines", { get: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>) }) as LoggedServer;
}
