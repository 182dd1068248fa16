import type { StatsSample } from "../container-streams.js";

/** The parts of one /containers/{id}/stats sample that dockhand reads (cgroup v1 and v2). */
export interface DockerStatsJson {
  read?: string;
  cpu_stats?: {
    cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null };
    system_cpu_usage?: number;
    online_cpus?: number;
  };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  blkio_stats?: { io_service_bytes_recursive?: Array<{ op?: string; value?: number }> | null };
  pids_stats?: { current?: number };
}

/**
 * Whether a sample describes a running container. For a container that is not running the
 * engine sends zeroed samples read at the zero time (year 1), once a second, forever. As a
 * container stops, it may send one more read of a cgroup with no process left (pids 0): that is
 * the stop, not a measurement of the container running, and is not handed on either.
 */
export function isLiveSample(json: DockerStatsJson): boolean {
  const read = Date.parse(json.read ?? "");
  return Number.isFinite(read) && read > 0 && json.pids_stats?.current !== 0;
}

function onlineCpus(json: DockerStatsJson): number {
  return json.cpu_stats?.online_cpus || json.cpu_stats?.cpu_usage?.percpu_usage?.length || 1;
}

/**
 * CPU% between two samples, as `docker stats` computes it: the container's share of the host's
 * CPU time over the same span, scaled by the CPUs it can use. The engine's own `precpu_stats`
 * is empty in the first sample of a stream, so both samples are taken here.
 */
export function cpuPercent(previous: DockerStatsJson, current: DockerStatsJson): number {
  const cpuDelta = (current.cpu_stats?.cpu_usage?.total_usage ?? 0) - (previous.cpu_stats?.cpu_usage?.total_usage ?? 0);
  const systemDelta = (current.cpu_stats?.system_cpu_usage ?? 0) - (previous.cpu_stats?.system_cpu_usage ?? 0);
  if (cpuDelta <= 0 || systemDelta <= 0) return 0;
  return (cpuDelta / systemDelta) * onlineCpus(current) * 100;
}

/** Memory in use without the inactive page cache (cgroup v1 `total_inactive_file`, v2 `inactive_file`). */
function memoryUsage(json: DockerStatsJson): number {
  const usage = json.memory_stats?.usage ?? 0;
  const stats = json.memory_stats?.stats ?? {};
  const inactive = stats.total_inactive_file ?? stats.inactive_file ?? 0;
  return inactive < usage ? usage - inactive : usage;
}

function blockBytes(json: DockerStatsJson, op: "read" | "write"): number {
  let total = 0;
  // cgroup v1 writes "Read"/"Write", v2 "read"/"write".
  for (const entry of json.blkio_stats?.io_service_bytes_recursive ?? []) {
    if (entry.op?.toLowerCase() === op) total += entry.value ?? 0;
  }
  return total;
}

/** A sample with CPU% measured since `previous`. */
export function toStatsSample(previous: DockerStatsJson, current: DockerStatsJson): StatsSample {
  let rx = 0;
  let tx = 0;
  for (const network of Object.values(current.networks ?? {})) {
    rx += network.rx_bytes ?? 0;
    tx += network.tx_bytes ?? 0;
  }
  return {
    time: new Date(current.read ?? 0),
    cpuPercent: cpuPercent(previous, current),
    onlineCpus: onlineCpus(current),
    memoryUsageBytes: memoryUsage(current),
    memoryLimitBytes: current.memory_stats?.limit ?? 0,
    networkRxBytes: rx,
    networkTxBytes: tx,
    blockReadBytes: blockBytes(current, "read"),
    blockWriteBytes: blockBytes(current, "write"),
    pids: current.pids_stats?.current ?? 0,
  };
}
