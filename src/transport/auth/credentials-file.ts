import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { isRole, type Role } from "./roles.js";

/** What a tokens file grants: hashed tokens and certificate subjects, each with a role. */
export interface Credentials {
  tokens: ReadonlyArray<{ name: string; role: Role; sha256: Buffer; exec?: boolean }>;
  certSubjects: ReadonlyMap<string, Role>;
  /** Certificate subjects whose entry grants exec (`exec: true`). */
  execSubjects?: ReadonlySet<string>;
}

/** A tokens file that cannot be used; the message names the file and the entry. */
export class CredentialsFileError extends Error {
  override readonly name = "CredentialsFileError";
}

function entries(doc: Record<string, unknown>, key: string, file: string): Array<Record<string, unknown>> {
  const list = doc[key] ?? [];
  if (!Array.isArray(list)) throw new CredentialsFileError(`${file}: ${key} must be a list`);
  return list.map((item, i) => {
    if (!item || typeof item !== "object" || Array.isArray(item))
      throw new CredentialsFileError(`${file}: ${key}[${i}] must be a mapping`);
    return item as Record<string, unknown>;
  });
}

/** `exec: true` grants an operator the exec right (ExecSession, Attach, copies in); default false. */
function execOf(entry: Record<string, unknown>, where: string): boolean {
  if (entry.exec === undefined) return false;
  if (typeof entry.exec !== "boolean") throw new CredentialsFileError(`${where}.exec must be true or false`);
  return entry.exec;
}

function roleOf(entry: Record<string, unknown>, where: string): Role {
  if (!isRole(entry.role)) throw new CredentialsFileError(`${where}.role must be viewer, operator or admin`);
  return entry.role;
}

/**
 * Reads a tokens file:
 * `tokens: [{name, role, sha256, exec}]` (the hex SHA-256 of each token; tokens are never stored in
 * clear) and `cert_subjects: [{subject, role, exec}]` for mTLS callers. `exec: true` is optional.
 */
export function readCredentialsFile(file: string): Credentials {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, "utf8")) ?? {};
  } catch (err) {
    throw new CredentialsFileError(`${file}: ${(err as Error).message}`);
  }
  if (typeof doc !== "object" || Array.isArray(doc) || doc === null)
    throw new CredentialsFileError(`${file}: must be a mapping with tokens and cert_subjects`);
  const record = doc as Record<string, unknown>;
  const names = new Set<string>();
  const tokens = entries(record, "tokens", file).map((entry, i) => {
    const where = `${file}: tokens[${i}]`;
    if (typeof entry.name !== "string" || entry.name === "")
      throw new CredentialsFileError(`${where}.name must be a non-empty string`);
    if (names.has(entry.name)) throw new CredentialsFileError(`${where}.name: "${entry.name}" is used twice`);
    names.add(entry.name);
    if (typeof entry.sha256 !== "string" || !/^[0-9a-fA-F]{64}$/.test(entry.sha256)) {
      throw new CredentialsFileError(
        `${where}.sha256 must be 64 hex digits (sha256sum of the token), never the token itself`,
      );
    }
    return {
      name: entry.name,
      role: roleOf(entry, where),
      sha256: Buffer.from(entry.sha256, "hex"),
      exec: execOf(entry, where),
    };
  });
  const certSubjects = new Map<string, Role>();
  const execSubjects = new Set<string>();
  entries(record, "cert_subjects", file).forEach((entry, i) => {
    const where = `${file}: cert_subjects[${i}]`;
    if (typeof entry.subject !== "string" || entry.subject === "")
      throw new CredentialsFileError(`${where}.subject must be a non-empty string`);
    certSubjects.set(entry.subject, roleOf(entry, where));
    if (execOf(entry, where)) execSubjects.add(entry.subject);
  });
  return { tokens, certSubjects, execSubjects };
}
