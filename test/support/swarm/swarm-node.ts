import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pause, run } from "./run-command.js";

/** One dockerd of a test swarm, in its node's network namespace, with a mount and UTS namespace of its own. */
export interface SwarmNode {
  /** 1, 2, 3 ... */
  readonly index: number;
  /** Also the node's hostname, so Swarm's node name. */
  readonly hostname: string;
  readonly address: string;
  /** `unix:///…/nodeN.sock`, for dockhand's engine URL or DOCKER_HOST. */
  readonly url: string;
  readonly socketPath: string;
  /** The cgroup parent its containers run under (cgroupfs driver). */
  readonly cgroupParent: string;
  /** The node's folder: data root, exec root, pid files, log. */
  readonly dir: string;
  start(): Promise<void>;
  /** SIGTERM (a clean stop) or SIGKILL (a crash); waits until dockerd exited. */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  readonly running: boolean;
  /** `docker -H <node> ...args`, bounded in time. */
  docker(args: readonly string[], timeoutMs?: number, input?: Buffer): Promise<string>;
}

function ping(socketPath: string): Promise<boolean> {
  return run("curl", ["-fsS", "--max-time", "1", "--unix-socket", socketPath, "http://engine/_ping"], 3000).then(
    () => true,
    () => false,
  );
}

export function alive(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.[0] !== "Z";
  } catch {
    return false;
  }
}

/** dockerd reuses a containerd whose pid file names a live process, and waits forever on a dead one. */
function dropStaleContainerdPid(pidFile: string): void {
  if (existsSync(pidFile) && !alive(Number(readFileSync(pidFile, "utf8").trim()))) rmSync(pidFile, { force: true });
}

export interface SwarmNodeOptions {
  index: number;
  /** Run folder; the node's own folder is made inside it. */
  runDir: string;
  /** Prefix of the run's names (namespaces, hostnames, cgroups). */
  prefix: string;
  namespacePath: string;
  address: string;
}

export function createSwarmNode(options: SwarmNodeOptions): SwarmNode {
  const { index, runDir, prefix } = options;
  const dir = join(runDir, `node${index}`);
  const socketPath = join(runDir, `node${index}.sock`);
  const hostname = `${prefix}-n${index}`;
  const cgroupParent = `/${prefix}-n${index}`;
  const pidFile = join(dir, "dockerd.pid");
  const containerdPidFile = join(dir, "exec", "containerd", "containerd.pid");
  const configFile = join(runDir, "empty-daemon.json");
  let child: ChildProcess | undefined;

  const node: SwarmNode = {
    index,
    hostname,
    address: options.address,
    url: `unix://${socketPath}`,
    socketPath,
    cgroupParent,
    dir,
    get running() {
      return !!child && child.exitCode === null && child.signalCode === null;
    },
    async start() {
      mkdirSync(dir, { recursive: true });
      if (!existsSync(configFile)) writeFileSync(configFile, "{}\n");
      rmSync(pidFile, { force: true });
      dropStaleContainerdPid(containerdPidFile);
      const dockerd = [
        "dockerd",
        "--config-file",
        configFile,
        "--host",
        `unix://${socketPath}`,
        "--data-root",
        join(dir, "data"),
        "--exec-root",
        join(dir, "exec"),
        "--pidfile",
        pidFile,
        "--bip",
        `10.214.${index}.1/24`,
        "--cgroup-parent",
        cgroupParent,
      ]
        .map((arg) => `'${arg}'`)
        .join(" ");
      const logFile = join(dir, "dockerd.log");
      // On a loaded machine dockerd can give up on its containerd and exit: that is the
      // machine, not the code under test, so try again (as second-engine.ts does).
      for (let attempt = 1; attempt <= 3; attempt++) {
        const out = openSync(logFile, "a");
        // nsenter --net, not `ip netns exec`, which remounts /sys and hides the cgroup v1 mounts.
        const current = spawn(
          "nsenter",
          [
            `--net=${options.namespacePath}`,
            "unshare",
            "--mount",
            "--uts",
            "sh",
            "-c",
            `hostname '${hostname}' && exec ${dockerd}`,
          ],
          { stdio: ["ignore", out, out] },
        );
        closeSync(out);
        child = current;
        const exited = new Promise<boolean>((resolve) => current.once("exit", () => resolve(true)));
        for (let i = 0; i < 120; i++) {
          if (await ping(socketPath)) return;
          if (await Promise.race([exited, pause(250).then(() => false)])) break;
        }
        if (current.exitCode === null && current.signalCode === null) break;
        rmSync(pidFile, { force: true });
        dropStaleContainerdPid(containerdPidFile);
      }
      throw new Error(
        `swarm node ${index}: dockerd did not answer on ${socketPath}; log:\n${readFileSync(logFile, "utf8").slice(-2000)}`,
      );
    },
    async stop(signal = "SIGTERM") {
      const current = child;
      if (!current || current.exitCode !== null || current.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => current.once("exit", () => resolve()));
      current.kill(signal);
      const stopped = await Promise.race([exited.then(() => true), pause(30_000).then(() => false)]);
      if (!stopped) {
        current.kill("SIGKILL");
        await exited;
      }
    },
    docker(args, timeoutMs = 60_000, input) {
      return run("docker", ["-H", `unix://${socketPath}`, ...args], timeoutMs, input);
    },
  };
  return node;
}
