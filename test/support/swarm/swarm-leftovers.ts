import { readdirSync, readFileSync, readlinkSync, rmSync, rmdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { alive } from "./swarm-node.js";
import { pause, tryRun } from "./run-command.js";

/**
 * What a test swarm leaves on the host until its teardown removes it: processes, cgroups,
 * network namespaces (and their veths), mounts, files. All of it is found by the run's prefix
 * (`dhsw-<pid>-<n>`) and folder, so a run killed half-way is cleaned up by the next one.
 */
export const runPrefixPattern = /^dhsw-(\d+)-\d+/;

const cgroupRoot = "/sys/fs/cgroup";
const netnsRoot = "/run/netns";

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function cgroupDirs(prefix: string): string[] {
  return list(cgroupRoot).flatMap((controller) =>
    list(join(cgroupRoot, controller))
      .filter((name) => name.startsWith(`${prefix}-`))
      .map((name) => join(cgroupRoot, controller, name)),
  );
}

/** Every directory under `dir`, deepest first, so that rmdir can take them in order. */
function subtree(dir: string): string[] {
  const below = list(dir).flatMap((name) => {
    const path = join(dir, name);
    try {
      return statSync(path).isDirectory() ? subtree(path) : [];
    } catch {
      return [];
    }
  });
  return [...below, dir];
}

function inode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/** Processes of the run: in its cgroups, in its namespaces, or started from its folder. */
export function runProcesses(prefix: string, runDir: string): number[] {
  const pids = new Set<number>();
  for (const dir of cgroupDirs(prefix)) {
    for (const cg of subtree(dir)) {
      for (const line of (() => {
        try {
          return readFileSync(join(cg, "cgroup.procs"), "utf8").split("\n");
        } catch {
          return [];
        }
      })()) {
        if (line) pids.add(Number(line));
      }
    }
  }
  const namespaceInodes = new Set(
    list(netnsRoot)
      .filter((n) => n.startsWith(`${prefix}-`))
      .map((n) => inode(join(netnsRoot, n))),
  );
  for (const entry of list("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (cmdline.includes(`${runDir}/`)) pids.add(pid);
      const net = readlinkSync(`/proc/${pid}/ns/net`);
      const ino = Number(/\[(\d+)\]/.exec(net)?.[1]);
      if (namespaceInodes.has(ino)) pids.add(pid);
    } catch {
      // The process ended while we looked.
    }
  }
  return [...pids].filter(alive);
}

/** What is still there of a run; empty when the teardown was complete. */
export function runLeftovers(prefix: string, runDir: string): string[] {
  const left: string[] = [];
  for (const pid of runProcesses(prefix, runDir)) left.push(`process ${pid}`);
  for (const dir of cgroupDirs(prefix)) left.push(`cgroup ${dir}`);
  for (const ns of list(netnsRoot).filter((n) => n.startsWith(`${prefix}-`))) left.push(`network namespace ${ns}`);
  for (const line of readFileSync("/proc/mounts", "utf8").split("\n")) {
    if (line.includes(`${runDir}/`) || line.includes(`${prefix}-`)) left.push(`mount ${line.split(" ")[1]}`);
  }
  const hostLinks = readdirSync("/sys/class/net");
  // The veths are made inside the run's namespaces; one on the host would mean a move went wrong.
  for (const link of hostLinks.filter((l) => l.startsWith(prefix))) left.push(`interface ${link}`);
  try {
    statSync(runDir);
    left.push(`folder ${runDir}`);
  } catch {
    // Gone, as it should be.
  }
  return left;
}

/** Removes whatever is left of a run (its dockerds already stopped or dead), bounded in time. */
export async function removeRun(prefix: string, runDir: string): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const pids = runProcesses(prefix, runDir);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    await pause(250);
  }
  const mounts = readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[1] ?? "")
    .filter((mount) => mount.startsWith(`${runDir}/`))
    .sort()
    .reverse();
  for (const mount of mounts) await tryRun("umount", ["-l", mount], 10_000);
  for (let round = 0; round < 20; round++) {
    let busy = false;
    for (const dir of cgroupDirs(prefix)) {
      for (const cg of subtree(dir)) {
        try {
          rmdirSync(cg);
        } catch {
          busy = true;
        }
      }
    }
    if (!busy) break;
    await pause(250);
  }
  for (const ns of list(netnsRoot).filter((n) => n.startsWith(`${prefix}-`)))
    await tryRun("ip", ["netns", "delete", ns], 10_000);
  rmSync(runDir, { recursive: true, force: true });
}

/** Cleans up after earlier runs that died before their teardown (their process is gone). */
export async function sweepStaleRuns(tmp: string): Promise<void> {
  const names = new Set<string>();
  for (const name of list(netnsRoot)) names.add(name);
  for (const controller of list(cgroupRoot)) for (const name of list(join(cgroupRoot, controller))) names.add(name);
  for (const name of list(tmp)) names.add(name);
  const stale = new Set<string>();
  for (const name of names) {
    const match = runPrefixPattern.exec(name);
    if (match && !alive(Number(match[1]))) stale.add(match[0]);
  }
  for (const prefix of stale) await removeRun(prefix, join(tmp, prefix));
}
