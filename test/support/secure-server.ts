import { Writable } from "node:stream";
import { pino } from "pino";
import type { Config } from "../../src/app/config.js";
import type { DockhandServer } from "../../src/app/dockhand-server.js";
import { requireEngine } from "./engine.js";
import { removeDataDir, startTestServer, type TestServer } from "./test-server.js";

export interface LoggedServer extends DockhandServer {
  /** Every log line the server wrote, parsed. */
  readonly lines: Array<Record<string, unknown>>;
  /** The raw text of every log line. */
  readonly text: () => string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** A test server whose info-level log lines are kept for the test to read. */
export async function startLoggedServer(overrides: Partial<Config>): Promise<LoggedServer> {
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      raw.push(
        ...chunk
          .toString("utf8")
          .split("\n")
          .filter((line) => line !== ""),
      );
      callback();
    },
  });
  const server = await startTestServer(await requireEngine(), overrides, pino({ level: "info" }, sink));
  const logged: Omit<LoggedServer, "lines"> = Object.assign(Object.create(server) as TestServer, server, {
    text: () => raw.join("\n"),
    async stop() {
      await server.close();
      removeDataDir(server.dataDir);
    },
  });
  // A getter, so each read parses what was written until then (Object.assign would copy one snapshot).
  return Object.defineProperty(logged, "lines", {
    get: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>),
  }) as LoggedServer;
}
