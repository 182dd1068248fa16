import { randomBytes } from "node:crypto";
import { mkdir, open, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { DockhandError } from "../model/dockhand-error.js";

const keyBytes = 32;

/**
 * Reads the 32-byte key that seals secrets, creating it (mode 0600, never replaced) when the
 * file does not exist. A file of another size stops start-up: overwriting it would make every
 * stored secret unreadable.
 */
export async function loadSecretKey(path: string): Promise<Buffer> {
  try {
    const key = await readFile(path);
    if (key.length !== keyBytes) {
      throw new DockhandError(
        "FailedPrecondition",
        `secrets key file ${path} holds ${key.length} bytes, not ${keyBytes}; dockhand will not replace it`,
      );
    }
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  await mkdir(dirname(path), { recursive: true });
  const key = randomBytes(keyBytes);
  // "wx": a key another process created meanwhile is never overwritten.
  const handle = await open(path, "wx", 0o600);
  try {
    await handle.writeFile(key);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return key;
}
