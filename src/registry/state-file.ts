import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../lib/write-file-atomic.js";
import { join } from "node:path";
import { DockhandError } from "../model/dockhand-error.js";
import type { StoredService } from "../model/service-definition.js";

const formatVersion = 1;
const fileName = "state.json";

interface StateDocument {
  format: number;
  services: Record<string, StoredService>;
}

/** Durable storage of all services in one JSON file under the data directory. */
export interface StateFile {
  readonly path: string;
  /** Reads the file; an absent file is an empty state. Throws FailedPrecondition when corrupt. */
  load(): Promise<Map<string, StoredService>>;
  /** Replaces the file atomically: temp file, fsync, rename, fsync of the folder. */
  save(services: ReadonlyMap<string, StoredService>): Promise<void>;
}

export function createStateFile(dataDir: string): StateFile {
  const path = join(dataDir, fileName);

  function corrupt(problem: string, cause?: unknown): DockhandError {
    return new DockhandError(
      "FailedPrecondition",
      `state file ${path} is corrupt (${problem}). dockhand will not start over it and will not overwrite it: ` +
        "repair it, or move it away to start with no services.",
      { cause },
    );
  }

  return {
    path,
    async load() {
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return new Map();
        throw err;
      }
      let doc: StateDocument;
      try {
        doc = JSON.parse(text) as StateDocument;
      } catch (cause) {
        throw corrupt("not valid JSON", cause);
      }
      if (
        !doc ||
        typeof doc !== "object" ||
        doc.format !== formatVersion ||
        typeof doc.services !== "object" ||
        doc.services === null
      ) {
        throw corrupt(`expected {"format": ${formatVersion}, "services": {...}}`);
      }
      const services = new Map<string, StoredService>();
      for (const [name, stored] of Object.entries(doc.services)) {
        if (
          !stored?.definition ||
          stored.definition.name !== name ||
          typeof stored.version !== "number" ||
          typeof stored.replicas !== "number"
        ) {
          throw corrupt(`entry "${name}" is malformed`);
        }
        services.set(name, stored);
      }
      return services;
    },
    async save(services) {
      const doc: StateDocument = { format: formatVersion, services: Object.fromEntries(services) };
      await writeFileAtomic(path, JSON.stringify(doc, null, 2) + "\n");
    },
  };
}
