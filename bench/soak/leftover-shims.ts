/**
 * A dockerd stopped while it starts containers (the soak's engine restart) can leave a
 * containerd shim, and the container under it, that outlive its containerd: the engine's
 * destroy() removes its files but not these processes. They are found by the engine's own
 * folder on their command line (`-address /tmp/dockhand-<id>-XXXX/exec/...`) and ended,
 * each shim's descendants first.
 */
import { readdirSync, readFileSync } from "node:fs";

function commandLine(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

function childrenOf(pid: string, all: string[]): string[] {
  return all.filter((other) => {
    try {
      return readFileSync(`/proc/${other}/stat`, "utf8").split(") ")[1]?.split(" ")[1] === pid;
    } catch {
      return false;
    }
  });
}

/** Ends the shims (and what runs under them) of the engine listening on `socketPath`; returns how many processes. */
export function endLeftoverShims(socketPath: string): number {
  // /tmp/dockhand-soak-123-0.sock → the engine's folder starts /tmp/dockhand-soak-123-0-
  const folder = `${socketPath.replace(/\.sock$/, "")}-`;
  const all = readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
  const shims = all.filter((pid) => {
    const line = commandLine(pid);
    return line.includes("containerd-shim") && line.includes(folder);
  });
  const ended: string[] = [];
  const end = (pid: string) => {
    for (const child of childrenOf(pid, all)) end(child);
    try {
      process.kill(Number(pid), "SIGKILL");
      ended.push(pid);
    } catch {
      // Gone already.
    }
  };
  for (const shim of shims) end(shim);
  return ended.length;
}
