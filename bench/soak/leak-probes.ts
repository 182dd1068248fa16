/**
 * What a leak would show: dockhand's open streams (RPC and engine) in /metrics, its
 * connections to the engine's socket, its open file descriptors and its RSS.
 */
import { readdirSync, readlinkSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { daemonSockets } from "../../test/support/engine-connections.js";
import { memoryOf } from "../support.js";

export interface LeakProbe {
  rpcOpenStreams: number;
  engineOpenStreams: number;
  engineConnections: number;
  fds: number;
  rssMb: number;
  /** The series of dockhand_rpc_open_streams that are not 0, for the report. */
  openStreams: string[];
}

/** The sum of every series of a metric in a Prometheus text exposition. */
function sumOf(text: string, metric: string): number {
  return text
    .split("\n")
    .filter((line) => line.startsWith(`${metric}{`) || line.startsWith(`${metric} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0);
}

/** Socket inodes among a process's open files. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // Closed while we looked.
    }
  }
  return inodes;
}

export async function probeLeaks(url: string, pid: number, engineSocket: string): Promise<LeakProbe> {
  const text = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) }).then((res) => res.text());
  const mine = socketInodes(pid);
  const engineConnections = [...daemonSockets(engineSocket).values()].filter((peer) => mine.has(peer)).length;
  return {
    rpcOpenStreams: sumOf(text, "dockhand_rpc_open_streams"),
    engineOpenStreams: sumOf(text, "dockhand_engine_open_streams"),
    engineConnections,
    fds: readdirSync(`/proc/${pid}/fd`).length,
    rssMb: memoryOf(pid).rssMb,
    openStreams: text
      .split("\n")
      .filter((line) => line.startsWith("dockhand_rpc_open_streams{") && !line.endsWith(" 0")),
  };
}

/** The least of each count over a few seconds: an idle keep-alive or a health ping comes and goes. */
export async function steadyLeaks(url: string, pid: number, engineSocket: string, seconds = 3): Promise<LeakProbe> {
  let least = await probeLeaks(url, pid, engineSocket);
  for (let i = 0; i < seconds * 4; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await probeLeaks(url, pid, engineSocket);
    least = {
      rpcOpenStreams: Math.min(least.rpcOpenStreams, now.rpcOpenStreams),
      engineOpenStreams: Math.min(least.engineOpenStreams, now.engineOpenStreams),
      engineConnections: Math.min(least.engineConnections, now.engineConnections),
      fds: Math.min(least.fds, now.fds),
      rssMb: now.rssMb,
      openStreams: now.openStreams,
    };
  }
  return least;
}

/**
 * Polls until every count is back to `baseline` (file descriptors within `fdSlack`) or
 * `timeoutMs` passed: idle keep-alive connections, dockhand's to the engine and the clients'
 * to dockhand, close after their idle timeout (5 s for Node's agent and server).
 */
export async function settledLeaks(
  url: string,
  pid: number,
  engineSocket: string,
  baseline: LeakProbe,
  fdSlack: number,
  timeoutMs: number,
): Promise<{ probe: LeakProbe; seconds: number }> {
  const started = performance.now();
  for (;;) {
    const probe = await probeLeaks(url, pid, engineSocket);
    const back =
      probe.rpcOpenStreams <= baseline.rpcOpenStreams &&
      probe.engineOpenStreams <= baseline.engineOpenStreams &&
      probe.engineConnections <= baseline.engineConnections &&
      probe.fds <= baseline.fds + fdSlack;
    const seconds = (performance.now() - started) / 1000;
    if (back || seconds * 1000 > timeoutMs) return { probe, seconds };
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** dockhand's own count of the RPCs it answered, by code, from /metrics (dockhand_rpc_requests_total). */
export async function answeredCodes(url: string): Promise<Record<string, number>> {
  const text = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) }).then((res) => res.text());
  const codes: Record<string, number> = {};
  for (const line of text.split("\n")) {
    if (!line.startsWith("dockhand_rpc_requests_total{")) continue;
    const code = /code="([^"]*)"/.exec(line)?.[1] ?? "?";
    codes[code] = (codes[code] ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return codes;
}
