import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { DockhandError } from "../model/dockhand-error.js";
import { quote } from "../model/quote.js";
import { writeFileAtomic } from "../lib/write-file-atomic.js";
import { loadSecretKey } from "./secret-key.js";

export type SecretKind = "secret" | "config";

export interface SecretMeta {
  kind: SecretKind;
  name: string;
  version: number;
  labels: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  sizeBytes: number;
}

/** One version's value, sealed with AES-256-GCM under the key file. */
interface SealedValue {
  version: number;
  iv: string;
  tag: string;
  data: string;
}

interface Entry extends SecretMeta {
  versions: SealedValue[];
}

/** Versions kept per secret: enough for a rollback and for containers of older versions. */
const keptVersions = 10;
const fileName = "secrets.json";

/**
 * Secrets and configs by name, with versions, in one file under the data directory. Values
 * are encrypted at rest with AES-256-GCM under a key file (created with mode 0600 when
 * missing); the file itself is written atomically with mode 0600. Values never go to logs.
 */
export interface SecretStore {
  list(kind: SecretKind): SecretMeta[];
  /** NotFound when absent. */
  get(kind: SecretKind, name: string): SecretMeta;
  find(kind: SecretKind, name: string): SecretMeta | undefined;
  /** A version's value; NotFound when the version is no longer kept. */
  value(kind: SecretKind, name: string, version: number): Buffer;
  /** AlreadyExists when the name is taken. */
  create(kind: SecretKind, name: string, value: Uint8Array, labels: Record<string, string>): Promise<SecretMeta>;
  /** Stores a new version. NotFound when absent. */
  update(kind: SecretKind, name: string, value: Uint8Array): Promise<SecretMeta>;
  /** NotFound when absent. */
  remove(kind: SecretKind, name: string): Promise<void>;
}

export async function createSecretStore(dataDir: string, keyFile?: string): Promise<SecretStore> {
  const key = await loadSecretKey(keyFile ?? join(dataDir, "secrets.key"));
  const path = join(dataDir, fileName);
  let entries = new Map<string, Entry>();
  try {
    const doc = JSON.parse(await readFile(path, "utf8")) as { format: number; entries: Record<string, Entry> };
    if (doc.format !== 1 || typeof doc.entries !== "object" || doc.entries === null)
      throw new Error("unexpected format");
    entries = new Map(Object.entries(doc.entries));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") {
      throw new DockhandError(
        "FailedPrecondition",
        `secrets file ${path} is corrupt (${(err as Error).message}); dockhand will not overwrite it`,
        { cause: err },
      );
    }
  }
  let queue: Promise<unknown> = Promise.resolve();
  const id = (kind: SecretKind, name: string) => `${kind}/${name}`;
  const meta = ({ versions: _versions, ...rest }: Entry): SecretMeta => ({ ...rest, labels: { ...rest.labels } });

  function existing(kind: SecretKind, name: string, from = entries): Entry {
    const entry = from.get(id(kind, name));
    if (!entry)
      throw new DockhandError("NotFound", `${kind} ${quote(name)} does not exist`, { details: { field: "name" } });
    return entry;
  }

  function seal(version: number, value: Uint8Array): SealedValue {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", key, iv);
    const data = Buffer.concat([cipher.update(value), cipher.final()]);
    return {
      version,
      iv: iv.toString("base64"),
      tag: cipher.getAuthTag().toString("base64"),
      data: data.toString("base64"),
    };
  }

  function mutate<T>(change: (next: Map<string, Entry>) => T): Promise<T> {
    const run = queue.then(async () => {
      const next = new Map(entries);
      const result = change(next);
      await writeFileAtomic(path, JSON.stringify({ format: 1, entries: Object.fromEntries(next) }), 0o600);
      entries = next;
      return result;
    });
    queue = run.catch(() => undefined);
    return run;
  }

  return {
    list: (kind) =>
      [...entries.values()]
        .filter((e) => e.kind === kind)
        .map(meta)
        .sort((a, b) => a.name.localeCompare(b.name)),
    get: (kind, name) => meta(existing(kind, name)),
    find: (kind, name) => {
      const entry = entries.get(id(kind, name));
      return entry ? meta(entry) : undefined;
    },
    value(kind, name, version) {
      const sealed = existing(kind, name).versions.find((v) => v.version === version);
      if (!sealed) throw new DockhandError("NotFound", `${kind} ${quote(name)} no longer keeps version ${version}`);
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(sealed.iv, "base64"));
      decipher.setAuthTag(Buffer.from(sealed.tag, "base64"));
      return Buffer.concat([decipher.update(Buffer.from(sealed.data, "base64")), decipher.final()]);
    },
    create: (kind, name, value, labels) =>
      mutate((next) => {
        if (next.has(id(kind, name)))
          throw new DockhandError("AlreadyExists", `${kind} ${quote(name)} already exists`, {
            details: { field: "name" },
          });
        const now = new Date().toISOString();
        const entry: Entry = {
          kind,
          name,
          version: 1,
          labels: { ...labels },
          createdAt: now,
          updatedAt: now,
          sizeBytes: value.length,
          versions: [seal(1, value)],
        };
        next.set(id(kind, name), entry);
        return meta(entry);
      }),
    update: (kind, name, value) =>
      mutate((next) => {
        const current = existing(kind, name, next);
        const version = current.version + 1;
        const entry: Entry = {
          ...current,
          version,
          updatedAt: new Date().toISOString(),
          sizeBytes: value.length,
          versions: [...current.versions, seal(version, value)].slice(-keptVersions),
        };
        next.set(id(kind, name), entry);
        return meta(entry);
      }),
    remove: (kind, name) =>
      mutate((next) => {
        existing(kind, name, next);
        next.delete(id(kind, name));
      }),
  };
}
