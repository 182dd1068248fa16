import { describe, expect, it } from "vitest";
import {
  cpuPercent,
  isLiveSample,
  toStatsSample,
  type DockerStatsJson,
} from "../../src/engine/docker/docker-stats-mapping.js";

const sample = (
  read: string,
  total: number,
  system: number,
  extra: Partial<DockerStatsJson> = {},
): DockerStatsJson => ({
  read,
  cpu_stats: { cpu_usage: { total_usage: total }, system_cpu_usage: system, online_cpus: 2 },
  ...extra,
});

describe("stats mapping", () => {
  it("computes CPU% from two samples, scaled by the online CPUs", () => {
    // Half of the host's CPU time over the span, on two CPUs: one CPU busy, 100%.
    const first = sample("2026-01-01T00:00:00Z", 1_000, 10_000);
    const second = sample("2026-01-01T00:00:01Z", 2_000_000_000 + 1_000, 4_000_000_000 + 10_000);
    expect(cpuPercent(first, second)).toBeCloseTo(100);
    expect(cpuPercent(second, second)).toBe(0);
  });

  it("reads memory without inactive cache (cgroup v1 and v2), network and block I/O totals, pids", () => {
    const v1 = sample("2026-01-01T00:00:01Z", 0, 0, {
      memory_stats: { usage: 10_000, limit: 50_000, stats: { total_inactive_file: 4_000 } },
      networks: { eth0: { rx_bytes: 10, tx_bytes: 20 }, eth1: { rx_bytes: 1, tx_bytes: 2 } },
      blkio_stats: {
        io_service_bytes_recursive: [
          { op: "Read", value: 7 },
          { op: "Write", value: 9 },
          { op: "Read", value: 1 },
          { op: "Total", value: 17 },
        ],
      },
      pids_stats: { current: 3 },
    });
    expect(toStatsSample(v1, v1)).toMatchObject({
      memoryUsageBytes: 6_000,
      memoryLimitBytes: 50_000,
      networkRxBytes: 11,
      networkTxBytes: 22,
      blockReadBytes: 8,
      blockWriteBytes: 9,
      pids: 3,
      onlineCpus: 2,
    });
    const v2 = sample("2026-01-01T00:00:01Z", 0, 0, {
      memory_stats: { usage: 10_000, limit: 50_000, stats: { inactive_file: 1_000 } },
      blkio_stats: {
        io_service_bytes_recursive: [
          { op: "read", value: 5 },
          { op: "write", value: 6 },
        ],
      },
    });
    expect(toStatsSample(v2, v2)).toMatchObject({
      memoryUsageBytes: 9_000,
      blockReadBytes: 5,
      blockWriteBytes: 6,
      networkRxBytes: 0,
      pids: 0,
    });
  });

  it("tells the engine's zeroed samples of a container that does not run", () => {
    expect(isLiveSample({ read: "0001-01-01T00:00:00Z" })).toBe(false);
    expect(isLiveSample({})).toBe(false);
    expect(isLiveSample({ read: "2026-12-06T02:00:00Z", pids_stats: { current: 0 } })).toBe(false);
    expect(isLiveSample({ read: "2026-12-06T02:00:00Z", pids_stats: { current: 1 } })).toBe(true);
    expect(isLiveSample({ read: "2026-11-22T02:44:24.621964334Z" })).toBe(true);
  });
});
