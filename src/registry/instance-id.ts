import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { writeFileAtomic } from "../lib/write-file-atomic.js";
import { join } from "node:path";
import { DockhandError } from "../model/dockhand-error.js";

const fileName = "instance-id";

/**
 * The identity of this dockhand, kept in its data directory: made once, at the first start,
 * and the same after every restart. Its containers carry it as a label, so dockhands with
 * different data directories can share an engine without touching each other's containers.
 */
export async function readOrCreateInstanceId(dataDir: string): Promise<string> {
  const path = join(dataDir, fileName);
  try {
    const id = (await readFile(path, "utf8")).trim();
    if (!/^[a-z0-9]{8,64}$/.test(id)) {
      throw new DockhandError(
        "FailedPrecondition",
        `instance id file ${path} is corrupt; dockhand will not overwrite it: restore or remove it`,
      );
    }
    return id;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const id = randomBytes(6).toString("hex");
  await writeFileAtomic(path, `${id}\n`);
  return id;
}
