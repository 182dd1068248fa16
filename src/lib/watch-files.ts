import { unwatchFile, watchFile } from "node:fs";

/**
 * Calls `onChange` when any of `files` changes on disk. Polls the path (not the inode), so a
 * file replaced by rename, as editors and secret mounts do, is seen too.
 */
export function watchFiles(files: readonly string[], onChange: () => void, intervalMs: number): () => void {
  const listener = (
    now: { mtimeMs: number; size: number; ino: number },
    before: { mtimeMs: number; size: number; ino: number },
  ) => {
    if (now.mtimeMs !== before.mtimeMs || now.size !== before.size || now.ino !== before.ino) onChange();
  };
  for (const file of files) watchFile(file, { interval: intervalMs, persistent: false }, listener);
  return () => {
    for (const file of files) unwatchFile(file, listener);
  };
}
