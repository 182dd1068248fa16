/**
 * A small seeded PRNG (sfc32, seeded through splitmix32), so that a fuzz run is replayed
 * exactly from the seed it printed. Not for cryptography.
 */
export interface Prng {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** An integer in [min, max], both included. */
  between(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  bytes(n: number): Uint8Array;
  /** A new generator whose sequence depends on this one's next value only. */
  fork(): Prng;
}

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export function createPrng(seed: number): Prng {
  const init = splitmix32(seed);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const u32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) u32();
  const prng: Prng = {
    seed,
    next: () => u32() / 4294967296,
    int: (n) => Math.floor(prng.next() * n),
    between: (min, max) => min + prng.int(max - min + 1),
    chance: (p) => prng.next() < p,
    pick: (items) => items[prng.int(items.length)] as (typeof items)[number],
    bytes: (n) => Uint8Array.from({ length: n }, () => u32() & 0xff),
    fork: () => createPrng(u32()),
  };
  return prng;
}

/** The seed from FUZZ_SEED, or a new one (printed by the caller, so the run can be replayed). */
export function seedFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.FUZZ_SEED;
  if (raw !== undefined && raw !== "") {
    const seed = Number(raw);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
      throw new Error(`FUZZ_SEED must be an integer from 0 to 4294967295 (got ${raw})`);
    return seed;
  }
  return Math.floor(Math.random() * 0x100000000);
}
