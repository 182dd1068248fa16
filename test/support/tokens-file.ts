import { createHash, randomBytes } from "node:crypto";
import { writeFileSync, renameSync } from "node:fs";
import type { Role } from "../../src/transport/auth/roles.js";

export interface TestToken {
  name: string;
  role: Role;
  token: string;
  /** Grants the exec right (`exec: true` on the entry). */
  exec?: boolean;
}

/** A fresh random token for each role, as a deployer would make them. */
export function makeTokens(): Record<Role, TestToken> {
  const make = (role: Role): TestToken => ({
    name: `test-${role}`,
    role,
    token: randomBytes(24).toString("base64url"),
  });
  return { viewer: make("viewer"), operator: make("operator"), admin: make("admin") };
}

/** Writes a tokens file holding only the tokens' hashes (replaced by rename, as a deploy tool would). */
export function writeTokensFile(
  file: string,
  tokens: readonly TestToken[],
  certSubjects: ReadonlyArray<{ subject: string; role: Role }> = [],
): void {
  const lines = ["tokens:"];
  for (const t of tokens)
    lines.push(
      `  - name: ${t.name}`,
      `    role: ${t.role}`,
      `    sha256: ${createHash("sha256").update(t.token).digest("hex")}`,
      ...(t.exec ? ["    exec: true"] : []),
    );
  if (tokens.length === 0) lines[0] = "tokens: []";
  lines.push(certSubjects.length ? "cert_subjects:" : "cert_subjects: []");
  for (const s of certSubjects) lines.push(`  - subject: ${s.subject}`, `    role: ${s.role}`);
  writeFileSync(`${file}.new`, `${lines.join("\n")}\n`);
  renameSync(`${file}.new`, file);
}
