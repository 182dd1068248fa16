import { ScalarType, type DescField, type DescMessage, type Message } from "@bufbuild/protobuf";
import { reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import type { Prng } from "./prng.js";
import { hugeText, intFor, stringFor, type FuzzFixtures } from "./fuzz-values.js";

export interface GeneratorOptions {
  fixtures: FuzzFixtures;
  /** Nested messages deeper than this are left unset. Default 4. */
  maxDepth?: number;
  /** Probability that an enum gets a number the schema does not define. Default 0.05. */
  badEnum?: number;
}

/** A random message of `desc`, driven by its descriptor only: any new field or RPC is covered. */
export function randomMessage(desc: DescMessage, rng: Prng, options: GeneratorOptions): Message {
  return fill(reflect(desc), rng, options, 0).message;
}

function fill(r: ReflectMessage, rng: Prng, options: GeneratorOptions, depth: number): ReflectMessage {
  const typeName = r.desc.typeName;
  if (typeName === "google.protobuf.Duration" || typeName === "google.protobuf.Timestamp") return timeLike(r, rng);
  // One member of each oneof at most: setting a second would clear the first anyway.
  const chosen = new Set(
    r.oneofs.map((oneof) => (rng.chance(0.7) ? rng.pick(oneof.fields) : undefined)).filter(Boolean),
  );
  for (const field of r.fields) {
    if (field.oneof && !chosen.has(field)) continue;
    if (!field.oneof && !rng.chance(0.6)) continue;
    setField(r, field, rng, options, depth);
  }
  return r;
}

function setField(r: ReflectMessage, field: DescField, rng: Prng, options: GeneratorOptions, depth: number): void {
  switch (field.fieldKind) {
    case "scalar":
      r.set(field, scalar(field.name, field.scalar, rng, options));
      return;
    case "enum":
      r.set(
        field,
        enumValue(
          field.enum.values.map((v) => v.number),
          rng,
          options,
        ),
      );
      return;
    case "message":
      if (depth < (options.maxDepth ?? 4)) r.set(field, fill(reflect(field.message), rng, options, depth + 1));
      return;
    case "list": {
      const list = r.get(field);
      for (let i = rng.int(4); i > 0; i--) {
        if (field.listKind === "scalar") list.add(scalar(field.name, field.scalar, rng, options));
        else if (field.listKind === "enum")
          list.add(
            enumValue(
              field.enum.values.map((v) => v.number),
              rng,
              options,
            ),
          );
        else if (depth < (options.maxDepth ?? 4)) list.add(fill(reflect(field.message), rng, options, depth + 1));
      }
      return;
    }
    case "map": {
      const map = r.get(field);
      for (let i = rng.int(4); i > 0; i--) {
        const key = scalar(`${field.name}_key`, field.mapKey, rng, options);
        if (field.mapKind === "scalar") map.set(key, scalar(field.name, field.scalar, rng, options));
        else if (field.mapKind === "enum")
          map.set(
            key,
            enumValue(
              field.enum.values.map((v) => v.number),
              rng,
              options,
            ),
          );
        else if (depth < (options.maxDepth ?? 4)) map.set(key, fill(reflect(field.message), rng, options, depth + 1));
      }
      return;
    }
  }
}

function enumValue(defined: number[], rng: Prng, options: GeneratorOptions): number {
  return rng.chance(options.badEnum ?? 0.05) ? rng.pick([99, -1, 2147483647]) : rng.pick(defined);
}

function scalar(name: string, type: ScalarType, rng: Prng, options: GeneratorOptions): unknown {
  switch (type) {
    case ScalarType.STRING:
      return rng.chance(0.01) ? hugeText(rng) : stringFor(name, rng, options.fixtures);
    case ScalarType.BYTES:
      return rng.bytes(rng.chance(0.9) ? rng.int(64) : 4096);
    case ScalarType.BOOL:
      return rng.chance(0.5);
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return rng.pick([0, 1.5, -1, Number.MAX_VALUE, rng.next()]);
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return intFor(name, rng, true, 64);
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return intFor(name, rng, false, 64);
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return intFor(name, rng, false, 32);
    default:
      return intFor(name, rng, true, 32);
  }
}

/** Duration and Timestamp: mostly valid and small, sometimes out of range or unnormalized. */
function timeLike(r: ReflectMessage, rng: Prng): ReflectMessage {
  const seconds = r.fields.find((f) => f.name === "seconds")!;
  const nanos = r.fields.find((f) => f.name === "nanos")!;
  if (rng.chance(0.85)) {
    r.set(seconds, BigInt(rng.between(0, 30)));
    r.set(nanos, rng.chance(0.5) ? 0 : rng.between(0, 999_999_999));
  } else {
    r.set(seconds, rng.pick([-1n, 10n ** 15n, 1n, -5n]));
    r.set(nanos, rng.pick([-5, 2_000_000_000, 5, -999_999_999]));
  }
  return r;
}
