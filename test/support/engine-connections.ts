import http from "node:http";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** The pid of the dockerd listening on `socketPath` (a test's second engine). */
export function daemonPid(socketPath: string): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (argv[0]?.endsWith("dockerd") && argv.includes(`unix://${socketPath}`)) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  throw new Error(`no dockerd listens on ${socketPath}`);
}

/**
 * Connections the daemon accepted on its socket and holds open: each is listed in
 * /proc/net/unix under the listening path, in state 03 (connected). The kernel files an
 * accepted socket under the connecting client's network namespace, so this process sees those
 * of its own connections even to a daemon in a namespace of its own. Includes idle keep-alive
 * connections.
 */
export function daemonConnections(socketPath: string): number {
  daemonPid(socketPath);
  const table = readFileSync("/proc/self/net/unix", "utf8").split("\n");
  return table.filter((row) => {
    const fields = row.trim().split(/\s+/);
    return fields[5] === "03" && fields[7] === socketPath;
  }).length;
}

/**
 * Connections of this process to `socketPath` that carry a request or response right now
 * (dockerode uses Node's global agent): an idle keep-alive connection is not counted, a stream
 * that was never closed is.
 */
export function socketsInUse(socketPath: string): number {
  return Object.entries(http.globalAgent.sockets)
    .filter(([name]) => name.includes(socketPath))
    .reduce((sum, [, sockets]) => sum + (sockets?.length ?? 0), 0);
}

/**
 * The steady number of `count()`: its least value over a second. A server keeps some
 * connections of its own (an event stream), and a health ping holds one more for a moment.
 */
export async function steady(count: () => number): Promise<number> {
  let least = count();
  for (let i = 0; i < 10; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    least = Math.min(least, count());
  }
  return least;
}

function inodeOfFd(fd: number): string | undefined {
  try {
    return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1];
  } catch {
    return undefined;
  }
}

/** This process's sockets to `socketPath` that carry a request now: inode and request path. */
export function inUseRequests(socketPath: string): Array<{ inode: string; path: string }> {
  const found: Array<{ inode: string; path: string }> = [];
  for (const [name, sockets] of Object.entries(http.globalAgent.sockets)) {
    if (!name.includes(socketPath)) continue;
    for (const socket of sockets ?? []) {
      const internals = socket as unknown as { _handle?: { fd?: number }; _httpMessage?: { path?: string } };
      const inode = internals._handle?.fd === undefined ? undefined : inodeOfFd(internals._handle.fd);
      if (inode) found.push({ inode, path: internals._httpMessage?.path ?? "" });
    }
  }
  return found;
}

/** The daemon's accepted sockets on `socketPath`: its socket's inode -> its peer's inode ("0" once the peer closed). */
export function daemonSockets(socketPath: string): Map<string, string> {
  const table = new Map<string, string>();
  for (const row of execFileSync("ss", ["-xn"], { encoding: "utf8" }).split("\n")) {
    const fields = row.trim().split(/\s+/);
    // u_str ESTAB recv send <path> <inode> * <peer inode>
    if (fields[4] === socketPath && fields[5] && fields[7]) table.set(fields[5], fields[7]);
  }
  return table;
}

/** The daemon's end of each of this process's connections to `socketPath` carrying a request to a path matching `pattern`. */
export function requestConnections(socketPath: string, pattern: RegExp): Array<{ ours: string; daemon: string }> {
  const ours = new Set(
    inUseRequests(socketPath)
      .filter((r) => pattern.test(r.path))
      .map((r) => r.inode),
  );
  return [...daemonSockets(socketPath)]
    .filter(([, peer]) => ours.has(peer))
    .map(([daemon, peer]) => ({ ours: peer, daemon }));
}

/** Whether this process still has the socket with this inode open. */
export function holdsSocket(inode: string): boolean {
  return readdirSync("/proc/self/fd").some((fd) => inodeOfFd(Number(fd)) === inode);
}
