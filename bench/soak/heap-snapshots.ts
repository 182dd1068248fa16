/**
 * Heap snapshots of dockhand, taken by signal (node's --heapsnapshot-signal, which collects
 * garbage first, so a snapshot holds what is retained), summed by constructor, and compared
 * as DevTools' "Comparison" view does. A set that grows from the first snapshot to the second
 * and again to the third (taken once the load has stopped) is a growing retained set.
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export const heapSnapshotSignal = "SIGUSR2";

/** Node flags that let `takeHeapSnapshot` ask for a snapshot written into `dir`. */
export const heapSnapshotArgs = (dir: string) => [
  `--heapsnapshot-signal=${heapSnapshotSignal}`,
  `--diagnostic-dir=${dir}`,
];

/** Per constructor (or node type for strings, code, arrays ...): count and bytes. */
export type HeapSummary = Map<string, { count: number; bytes: number }> & {
  /** Strings by shape (hex and digit runs replaced, cut at 80 characters): what a growing string set holds. */
  stringShapes?: Map<string, number>;
};

/** A string's shape: ids, numbers and times made alike, so that strings of one kind count together. */
const shapeOf = (text: string) =>
  text
    .slice(0, 200)
    .replace(/[0-9a-f]{12,}/g, "<hex>")
    .replace(/\d+/g, "<n>")
    .slice(0, 80);

interface SnapshotJson {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
  nodes: number[];
  strings: string[];
}

function summarise(path: string): HeapSummary {
  const json = JSON.parse(readFileSync(path, "utf8")) as SnapshotJson;
  const fields = json.snapshot.meta.node_fields;
  const types = json.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = [fields.indexOf("type"), fields.indexOf("name"), fields.indexOf("self_size")];
  const summary: HeapSummary = new Map();
  const stringShapes = new Map<string, number>();
  summary.stringShapes = stringShapes;
  for (let i = 0; i < json.nodes.length; i += width) {
    const type = types[json.nodes[i + typeAt]!]!;
    if (type === "string" || type === "concatenated string" || type === "sliced string") {
      const shape = `${type}: ${shapeOf(json.strings[json.nodes[i + nameAt]!] ?? "")}`;
      stringShapes.set(shape, (stringShapes.get(shape) ?? 0) + 1);
    }
    const key =
      type === "object" || type === "closure" ? `${json.strings[json.nodes[i + nameAt]!]} (${type})` : `(${type})`;
    const entry = summary.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += json.nodes[i + sizeAt]!;
    summary.set(key, entry);
  }
  return summary;
}

/** Signals dockhand and waits until its snapshot is written; returns its summary and removes the file. */
export async function takeHeapSnapshot(pid: number, dir: string): Promise<HeapSummary> {
  const before = new Set(existsSync(dir) ? readdirSync(dir) : []);
  process.kill(pid, heapSnapshotSignal);
  for (let i = 0; i < 600; i++) {
    await sleep(200);
    const file = readdirSync(dir).find((name) => name.endsWith(".heapsnapshot") && !before.has(name));
    if (!file) continue;
    // Written when its size stops changing and it ends as a JSON document does.
    const path = join(dir, file);
    const size = statSync(path).size;
    await sleep(500);
    if (statSync(path).size !== size || !readFileSync(path, "utf8").trimEnd().endsWith("}")) continue;
    const summary = summarise(path);
    rmSync(path, { force: true });
    return summary;
  }
  throw new Error(`no heap snapshot from ${pid} within 2 minutes`);
}

export const totalBytes = (summary: HeapSummary) => [...summary.values()].reduce((sum, e) => sum + e.bytes, 0);

export interface Growth {
  key: string;
  /** Bytes at each snapshot. */
  bytes: number[];
  counts: number[];
}

/**
 * V8's compiled code, which grows as more functions are optimised while the process warms up:
 * reported, but not a set of objects the program retains.
 */
const notRetainedSets = new Set(["(code)"]);

/** The sets that grew at every step by more than `minBytes` over all: candidates for a leak. */
export function growingSets(snapshots: HeapSummary[], minBytes: number): Growth[] {
  const keys = new Set(snapshots.flatMap((s) => [...s.keys()].filter((key) => !notRetainedSets.has(key))));
  const growth: Growth[] = [];
  for (const key of keys) {
    const bytes = snapshots.map((s) => s.get(key)?.bytes ?? 0);
    const counts = snapshots.map((s) => s.get(key)?.count ?? 0);
    const rising = bytes.every((b, i) => i === 0 || b > bytes[i - 1]!);
    if (rising && bytes.at(-1)! - bytes[0]! > minBytes) growth.push({ key, bytes, counts });
  }
  return growth.sort((a, b) => b.bytes.at(-1)! - b.bytes[0]! - (a.bytes.at(-1)! - a.bytes[0]!));
}

/** The largest changes between the first and the last snapshot, either way, for the report. */
export function largestChanges(snapshots: HeapSummary[], top: number): Growth[] {
  const keys = new Set(snapshots.flatMap((s) => [...s.keys()]));
  return [...keys]
    .map((key) => ({
      key,
      bytes: snapshots.map((s) => s.get(key)?.bytes ?? 0),
      counts: snapshots.map((s) => s.get(key)?.count ?? 0),
    }))
    .sort((a, b) => Math.abs(b.bytes.at(-1)! - b.bytes[0]!) - Math.abs(a.bytes.at(-1)! - a.bytes[0]!))
    .slice(0, top);
}

/** The string shapes whose count grew most from the first snapshot to the last. */
export function growingStringShapes(snapshots: HeapSummary[], top: number): Array<{ shape: string; counts: number[] }> {
  const first = snapshots[0]?.stringShapes ?? new Map<string, number>();
  const last = snapshots.at(-1)?.stringShapes ?? new Map<string, number>();
  return [...last.keys()]
    .map((shape) => ({ shape, counts: snapshots.map((s) => s.stringShapes?.get(shape) ?? 0) }))
    .filter(({ shape }) => (last.get(shape) ?? 0) > (first.get(shape) ?? 0))
    .sort((a, b) => b.counts.at(-1)! - b.counts[0]! - (a.counts.at(-1)! - a.counts[0]!))
    .slice(0, top);
}
