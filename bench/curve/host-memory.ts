/**
 * What the machine has left, and what a number of running busybox containers cost it: the
 * drop in MemAvailable (which counts every process's memory, the containerd shims' included,
 * and the kernel's per-container page tables, cgroups and mounts) divided by the count.
 */
import { readFileSync } from "node:fs";

/** MemAvailable from /proc/meminfo, in MiB. */
export function availableMb(): number {
  const kb = Number(/^MemAvailable:\s+(\d+) kB/m.exec(readFileSync("/proc/meminfo", "utf8"))?.[1] ?? NaN);
  return kb / 1024;
}

/** The free memory the benchmark never goes below, in MiB: others run dockerds and tests here too. */
export const reserveMb = 6 * 1024;

/**
 * How many containers fit in the memory available now, keeping `reserveMb` free, at
 * `perContainerMb` each plus `margin` (the benchmark's own processes grow too).
 */
export function containersThatFit(perContainerMb: number, margin = 1.5): number {
  return Math.floor((availableMb() - reserveMb) / (perContainerMb * margin));
}
