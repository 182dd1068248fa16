import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A dockerd of the test's own, to stop and start without disturbing the shared engine: its
 * own socket, data root, exec root (so its own containerd), pid file, no bridge and no
 * iptables rules.
 */
export interface SecondEngine {
  /** `unix:///tmp/dockhand-<name>-<pid>.sock`, for createDockerEngine or DOCKER_HOST. */
  readonly url: string;
  readonly socketPath: string;
  /** Starts dockerd and waits until /_ping answers. */
  start(): Promise<void>;
  /** Stops dockerd: SIGTERM (a clean shutdown) or SIGKILL (a crash). Waits until it exited. */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Copies an image from the shared engine (docker save | load). */
  loadImage(ref: string): void;
  /** How many event streams (/events requests) the daemon has open. */
  eventListeners(): number;
  /** Stops dockerd and its containerd and removes every file it made. */
  destroy(): Promise<void>;
}

let started = 0;

function ping(socketPath: string): boolean {
  try {
    execFileSync("curl", ["-fsS", "--max-time", "1", "--unix-socket", socketPath, "http://engine/_ping"], {
      stdio: "ignore",
    });
    return true;
  } catch {
    return false;
  }
}

/** Alive and not a zombie: a crashed dockerd's containerd is reparented to a PID 1 that may never reap it. */
function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

/** dockerd reuses a containerd whose pid file names a live process, and waits forever on a dead one. */
function dropStaleContainerdPid(pidFile: string): void {
  if (!existsSync(pidFile)) return;
  if (!alive(Number(readFileSync(pidFile, "utf8").trim()))) rmSync(pidFile, { force: true });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function startSecondEngine(name: string): Promise<SecondEngine> {
  const id = `${name}-${process.pid}-${started++}`;
  const socketPath = `/tmp/dockhand-${id}.sock`;
  const dir = mkdtempSync(join(tmpdir(), `dockhand-${id}-`));
  const logFile = join(dir, "dockerd.log");
  const containerdPidFile = join(dir, "exec", "containerd", "containerd.pid");
  let child: ChildProcess | undefined;
  const docker = (...args: string[]) => ["-H", `unix://${socketPath}`, ...args];

  const engine: SecondEngine = {
    url: `unix://${socketPath}`,
    socketPath,
    async start() {
      // A crashed daemon leaves its pid file behind, which the next start would trip over.
      rmSync(join(dir, "dockerd.pid"), { force: true });
      dropStaleContainerdPid(containerdPidFile);
      const args = [
        "--host",
        `unix://${socketPath}`,
        "--data-root",
        join(dir, "data"),
        "--exec-root",
        join(dir, "exec"),
        "--pidfile",
        join(dir, "dockerd.pid"),
        "--bridge",
        "none",
        "--iptables=false",
        "--ip-masq=false",
      ];
      // In a network namespace of its own: a dockerd started with `--bridge none` deletes the
      // host's docker0 interface (removeDefaultBridgeInterface), which breaks the shared engine.
      // `unshare --net`, not `ip netns exec`: the latter also remounts /sys, hiding the cgroups
      // dockerd needs ("Devices cgroup isn't mounted").
      // On a loaded machine dockerd can give up on its containerd ("timeout waiting for
      // containerd to start") and exit; that is the machine, not the code under test: try again.
      for (let attempt = 1; attempt <= 3; attempt++) {
        const out = openSync(logFile, "a");
        const current = spawn("unshare", ["--net", "dockerd", ...args], { stdio: ["ignore", out, out] });
        closeSync(out);
        child = current;
        const exited = new Promise<void>((resolve) => current.once("exit", () => resolve()));
        for (let i = 0; i < 120; i++) {
          if (ping(socketPath)) return;
          const gone = await Promise.race([exited.then(() => true), pause(250).then(() => false)]);
          if (gone) break;
        }
        if (current.exitCode === null && current.signalCode === null) break;
        rmSync(join(dir, "dockerd.pid"), { force: true });
        dropStaleContainerdPid(containerdPidFile);
      }
      throw new Error(
        `second dockerd did not answer on ${socketPath}; log:\n${readFileSync(logFile, "utf8").slice(-2000)}`,
      );
    },
    async stop(signal = "SIGTERM") {
      const current = child;
      child = undefined;
      if (!current || current.exitCode !== null || current.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => current.once("exit", () => resolve()));
      current.kill(signal);
      await exited;
    },
    loadImage(ref) {
      execFileSync("bash", ["-c", `docker save "$1" | docker ${docker("load", "-q").join(" ")}`, "save", ref], {
        stdio: "ignore",
      });
    },
    eventListeners() {
      return Number(
        execFileSync("docker", docker("info", "--format", "{{.NEventsListener}}"), { encoding: "utf8" }).trim(),
      );
    },
    async destroy() {
      if (child && ping(socketPath)) {
        const ids = execFileSync("docker", docker("ps", "-aq"), { encoding: "utf8" }).split("\n").filter(Boolean);
        if (ids.length) execFileSync("docker", docker("rm", "-f", ...ids), { stdio: "ignore" });
      }
      await engine.stop();
      // After a SIGKILL, the containerd that dockerd started lives on; it is ours to end.
      if (existsSync(containerdPidFile)) {
        const pid = Number(readFileSync(containerdPidFile, "utf8").trim());
        if (pid > 0 && alive(pid)) {
          process.kill(pid, "SIGTERM");
          for (let i = 0; i < 40 && alive(pid); i++) await pause(250);
        }
      }
      rmSync(socketPath, { force: true });
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // A mount the daemon left behind keeps the folder busy; detach it, then retry once.
        execFileSync("bash", ["-c", `grep -o " ${dir}[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l`], {
          stdio: "ignore",
        });
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
  try {
    await engine.start();
  } catch (err) {
    await engine.destroy().catch(() => undefined);
    throw err;
  }
  return engine;
}
