import { mkdir, open, readFile, unlink } from "node:fs/promises";
import { join } from "node:path";
import { DockhandError } from "../model/dockhand-error.js";

const lockName = "dockhand.pid";

/** True while a process of that pid exists (signal 0 asks, and sends nothing). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the data directory for this process: `<dir>/dockhand.pid` holds its pid. A second
 * dockhand on the same directory is refused, naming the pid that holds it; a lock left by a
 * process that is gone (a crash, a kill -9) is taken over. Resolves with the release.
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, lockName);
  for (let attempt = 0; ; attempt++) {
    try {
      const file = await open(path, "wx", 0o644);
      await file.writeFile(`${process.pid}\n`);
      await file.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw err;
      const holder = Number((await readFile(path, "utf8").catch(() => "")).trim());
      // The same process may open its directory again (a test's second server after a crash it staged).
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) {
        throw new DockhandError(
          "FailedPrecondition",
          `--data-dir ${dir} is in use by another dockhand (pid ${holder}): stop it, or give this one a data directory of its own`,
          { details: { field: "data_dir" } },
        );
      }
      await unlink(path).catch(() => undefined);
    }
  }
  return async () => {
    const holder = Number((await readFile(path, "utf8").catch(() => "")).trim());
    if (holder === process.pid) await unlink(path).catch(() => undefined);
  };
}
