import { mkdir, open, rename } from "node:fs/promises";
import { dirname } from "node:path";

let writes = 0;

/**
 * Replaces `path` with `content` so that a crash at any moment leaves the old file or the new
 * one, never a mix: a temporary file beside it, fsync, rename over it, fsync of the folder (so
 * the rename itself survives a power loss). Creates the folder when missing.
 */
export async function writeFileAtomic(path: string, content: string, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temp = `${path}.tmp-${process.pid}-${writes++}`;
  const handle = await open(temp, "w", mode);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  const folder = await open(dir, "r");
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}
