import type { Prng } from "./prng.js";

/**
 * Every name a fuzz case may give a container, service, volume or image is either one of the
 * fixtures or starts with this prefix (or is garbage no engine accepts), so a call that
 * succeeds can only touch the fuzz run's own things.
 */
export const fuzzPrefix = "fz";

/** What the fuzz target set up, for cases to aim at (so they reach past "not found"). */
export interface FuzzFixtures {
  service: string;
  container: string;
  image: string;
  /** Registry host that the fuzzed engine cannot reach. */
  registry: string;
}

const garbage = [
  "",
  " ",
  "..",
  "../etc/passwd",
  "a/b",
  "-x",
  "UPPER",
  "x\u0000y",
  "\u00e9\u00e8",
  "\ud83d\ude00",
  "%00",
  "a".repeat(300),
  "$(reboot)",
  "*",
  "?all=1",
];

export function randomText(rng: Prng, max = 24): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_./:@=ABC \u00e9\u4e2d";
  return Array.from({ length: rng.int(max + 1) }, () => alphabet[rng.int(alphabet.length)]).join("");
}

/** A name of the fuzz run's own: valid for a service, container, volume or repository. */
export function ownName(rng: Prng): string {
  return `${fuzzPrefix}-${rng.int(1_000_000).toString(36)}`;
}

/** A huge string: 64 KiB to 1 MiB of one character, or of random text. */
export function hugeText(rng: Prng): string {
  const size = rng.pick([64 * 1024, 100_000, 1024 * 1024]);
  return rng.chance(0.5)
    ? "x".repeat(size)
    : randomText(rng, 64)
        .repeat(Math.ceil(size / 32))
        .slice(0, size);
}

/**
 * A string for a field, aimed by the field's name: names and ids get the fixtures or own
 * names, images get references, URLs stay on 127.0.0.1 (never a name to resolve).
 */
export function stringFor(field: string, rng: Prng, fixtures: FuzzFixtures): string {
  if (rng.chance(0.08)) return rng.pick(garbage);
  if (rng.chance(0.05)) return randomText(rng);
  if (/(^|_)(id|name|service|container|volume)$/.test(field)) {
    return rng.pick([fixtures.service, fixtures.container, `${fixtures.service}-1`, ownName(rng), ownName(rng)]);
  }
  if (/image|source|target|reference|repository/.test(field)) {
    const own = ownName(rng);
    return rng.pick([
      fixtures.image,
      `${own}:1`,
      `${fuzzPrefix}/${own}:latest`,
      `${fixtures.registry}/${own}:1`,
      `${own}@sha256:${"a".repeat(64)}`,
      `${own}@sha256:${"z".repeat(64)}`,
      own,
    ]);
  }
  // Only 127.0.0.1: dockhand fetches these itself, from the host's network.
  if (field === "url")
    return rng.pick([
      "http://127.0.0.1:1/x.tar",
      "https://127.0.0.1:1/x.tar",
      "file:///etc/passwd",
      "ftp://127.0.0.1/x",
      "not a url",
    ]);
  if (field === "signal") return rng.pick(["SIGTERM", "HUP", "9", "0", "65", "SIGNOPE", "KILL"]);
  if (/path|dir/.test(field)) return rng.pick(["/tmp", "/", "/proc", "relative", "/data/" + ownName(rng)]);
  if (field === "host_ip") return rng.pick(["127.0.0.1", "::1", "0.0.0.0", "999.1.1.1", "localhost"]);
  if (field === "user") return rng.pick(["root", "0:0", "nobody", "1000", "a:b:c"]);
  return randomText(rng);
}

/** An integer for a field of the given bit width; counts stay small so valid calls stay cheap. */
export function intFor(field: string, rng: Prng, signed: boolean, bits: 32 | 64): number | bigint {
  const edges = signed ? [0, 1, -1, 2, 3, 2147483647, -2147483648] : [0, 1, 2, 3, 4294967295];
  let value: number;
  if (/replicas|count|tail|parallelism|max_retries|lines/.test(field) && rng.chance(0.8)) value = rng.between(0, 3);
  else if (rng.chance(0.6)) value = rng.pick(edges);
  else value = signed ? rng.between(-1000, 100_000) : rng.between(0, 100_000);
  if (bits === 64) return rng.chance(0.1) ? (signed ? -(2n ** 63n) : 2n ** 64n - 1n) : BigInt(value);
  return value;
}
