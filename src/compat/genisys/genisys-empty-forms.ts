import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../lib/write-file-atomic.js";

/** The optional keys of a genisys definition that may be stored empty: `""`, `{}`, `[]`. */
export type GenisysEmptyForms = Partial<{ command: ""; environment: Record<string, never>; ports: [] }>;

/**
 * What a genisys client stored empty rather than null, per service, so that a GET gives back
 * `"ports": []` for `[]` and `null` for null, as the seed did: a dockhand definition has no
 * null, only empty. An entry belongs to the service created at `createdAt`; one of a service
 * deleted and made again through the typed API is not read.
 */
export interface GenisysEmptyFormsStore {
  get(name: string, createdAt: string): GenisysEmptyForms;
  /**
   * Records the empty keys of `body` (a POST or PUT that was stored), and forgets the entries of
   * services `live` no longer knows (deleted through the typed API).
   */
  record(
    name: string,
    createdAt: string,
    body: Record<string, unknown>,
    live: (name: string, createdAt: string) => boolean,
  ): Promise<void>;
}

const empties = (body: Record<string, unknown>): GenisysEmptyForms => {
  const forms: GenisysEmptyForms = {};
  if (body.command === "") forms.command = "";
  const env = body.environment;
  if (env !== null && typeof env === "object" && !Array.isArray(env) && Object.keys(env).length === 0)
    forms.environment = {};
  if (Array.isArray(body.ports) && body.ports.length === 0) forms.ports = [];
  return forms;
};

type Entries = Record<string, { createdAt: string; empty: GenisysEmptyForms }>;

/** The store in `<dataDir>/genisys-empty-forms.json`, written atomically. */
export async function loadGenisysEmptyForms(dataDir: string): Promise<GenisysEmptyFormsStore> {
  const path = join(dataDir, "genisys-empty-forms.json");
  try {
    return genisysEmptyForms(JSON.parse(await readFile(path, "utf8")) as Entries, path);
  } catch {
    // A missing file is an empty store; so is a damaged one, which costs only `[]` read back as null.
    return genisysEmptyForms({}, path);
  }
}

/** The store over `entries`, written to `path` on each change (kept in memory only without one). */
export function genisysEmptyForms(entries: Entries = {}, path?: string): GenisysEmptyFormsStore {
  return {
    get(name, createdAt) {
      const entry = entries[name];
      return entry?.createdAt === createdAt ? entry.empty : {};
    },
    async record(name, createdAt, body, live) {
      const empty = empties(body);
      const next: Entries = Object.fromEntries(
        Object.entries(entries).filter(([other, entry]) => other !== name && live(other, entry.createdAt)),
      );
      if (Object.keys(empty).length > 0) next[name] = { createdAt, empty };
      if (JSON.stringify(next) === JSON.stringify(entries)) return;
      entries = next;
      if (path) await writeFileAtomic(path, JSON.stringify(entries));
    },
  };
}
