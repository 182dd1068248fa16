import { DockhandError } from "./dockhand-error.js";
import { quote } from "./quote.js";
import type { ServiceDefinition } from "./service-definition.js";

/** The mount's name as the definition gives it, on each volume dockhand creates (or has a node create). */
export const volumeLabel = "dockhand.volume";

/**
 * The engine's name of a per-slot volume: `<service>-<slot>-<name>`. The name existing volumes
 * carry, so it stays; a definition whose names could meet another service's is refused instead
 * (`findVolumeClash`).
 */
export function perSlotVolumeName(service: string, slot: number | string, source: string): string {
  return `${service}-${slot}-${source}`;
}

/** A slot as it appears in a per-slot volume's name: a positive integer without leading zeros. */
const slotText = /^[1-9][0-9]*$/;

/**
 * The slot `s` and `t` with `<a>-<s>-<x>` equal to `<b>-<t>-<y>` (a ≠ b), or undefined when no
 * slots give one name. As `-<s>-` holds no other '-', `b` must be `a-<s>` or start with `a-<s>-`,
 * and `x` is then the rest of `b`, `<t>` and `y`, joined by '-'.
 */
export function perSlotNamesMeet(a: string, x: string, b: string, y: string): [number, number] | undefined {
  if (a.length > b.length) {
    const met = perSlotNamesMeet(b, y, a, x);
    return met && [met[1], met[0]];
  }
  if (a === b || !b.startsWith(`${a}-`)) return undefined;
  const [s = "", ...rest] = b.slice(a.length + 1).split("-");
  if (!slotText.test(s)) return undefined;
  const head = rest.length > 0 ? `${rest.join("-")}-` : "";
  if (!x.startsWith(head) || !x.endsWith(`-${y}`)) return undefined;
  const t = x.slice(head.length, x.length - y.length - 1);
  return slotText.test(t) ? [Number(s), Number(t)] : undefined;
}

/** The slot `t` with `<b>-<t>-<y>` equal to `name`, or undefined. */
function slotNamed(name: string, b: string, y: string): number | undefined {
  if (!name.startsWith(`${b}-`) || !name.endsWith(`-${y}`)) return undefined;
  const t = name.slice(b.length + 1, name.length - y.length - 1);
  return slotText.test(t) ? Number(t) : undefined;
}

/**
 * FailedPrecondition naming `mounts[i].source` when a volume of `def` (per slot, at any slot, or
 * named) would be one that a per-slot volume of another service owns, or a per-slot volume of
 * `def` would be another service's named volume: one service would read the other's data.
 */
export function checkVolumeClashes(def: ServiceDefinition, others: Iterable<ServiceDefinition>, prefix = ""): void {
  const mine = (def.mounts ?? []).map((m, i) => ({ m, i })).filter(({ m }) => m.type === "volume");
  if (mine.length === 0) return;
  for (const other of others) {
    if (other.name === def.name) continue;
    for (const theirs of other.mounts ?? []) {
      if (theirs.type !== "volume") continue;
      for (const { m, i } of mine) {
        const clash = describeClash(def.name, m, other.name, theirs);
        if (!clash) continue;
        const field = `${prefix}mounts[${i}].source`;
        throw new DockhandError(
          "FailedPrecondition",
          `${field}: ${clash}, so the two would share one volume; rename the volume or the service`,
          { details: { field } },
        );
      }
    }
  }
}

type VolumeMount = { source: string; perSlot: boolean };

function describeClash(a: string, mine: VolumeMount, b: string, theirs: VolumeMount): string | undefined {
  if (mine.perSlot && theirs.perSlot) {
    const met = perSlotNamesMeet(a, mine.source, b, theirs.source);
    if (!met) return undefined;
    const name = perSlotVolumeName(a, met[0], mine.source);
    return `slot ${met[0]}'s volume ${quote(name)} is also the per-slot volume ${quote(theirs.source)} of service ${quote(b)}'s slot ${met[1]}`;
  }
  if (mine.perSlot) {
    const slot = slotNamed(theirs.source, a, mine.source);
    return slot === undefined
      ? undefined
      : `slot ${slot}'s volume ${quote(theirs.source)} is a named volume of service ${quote(b)}`;
  }
  if (theirs.perSlot) {
    const slot = slotNamed(mine.source, b, theirs.source);
    return slot === undefined
      ? undefined
      : `${quote(mine.source)} is the per-slot volume ${quote(theirs.source)} of service ${quote(b)}'s slot ${slot}`;
  }
  return undefined;
}
