import { toBinary, toJsonString, type DescMessage, type Message } from "@bufbuild/protobuf";
import type { Prng } from "./prng.js";
import { hugeText } from "./fuzz-values.js";

/** How a request body was made, reported with every failure so that it can be read back. */
export type BodyKind =
  | "valid"
  | "flipped-bytes"
  | "truncated"
  | "random-bytes"
  | "unknown-field"
  | "invalid-utf8"
  | "deep-nesting"
  | "wrong-type"
  | "huge-string"
  | "json-as-proto"
  | "empty";

export type Encoding = "binary" | "json";

export interface Body {
  kind: BodyKind;
  encoding: Encoding;
  bytes: Uint8Array;
}

const binaryKinds: BodyKind[] = [
  "valid",
  "valid",
  "valid",
  "flipped-bytes",
  "truncated",
  "random-bytes",
  "unknown-field",
  "invalid-utf8",
  "deep-nesting",
  "huge-string",
  "json-as-proto",
  "empty",
];
const jsonKinds: BodyKind[] = [
  "valid",
  "valid",
  "valid",
  "unknown-field",
  "invalid-utf8",
  "deep-nesting",
  "wrong-type",
  "huge-string",
  "truncated",
  "random-bytes",
  "empty",
];

const utf8 = new TextEncoder();

function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

function concat(...parts: Array<Uint8Array | number[]>): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

/** A length-delimited field `no` holding `payload`. */
function delimited(no: number, payload: Uint8Array): Uint8Array {
  return concat(varint((no << 3) | 2), varint(payload.length), payload);
}

/** The body of one fuzz case for `message`, valid or broken in one of the ways above. */
export function makeBody(desc: DescMessage, message: Message, encoding: Encoding, rng: Prng): Body {
  const kind = rng.pick(encoding === "binary" ? binaryKinds : jsonKinds);
  return {
    kind,
    encoding,
    bytes: encoding === "binary" ? binaryBody(desc, message, kind, rng) : jsonBody(desc, message, kind, rng),
  };
}

function firstStringField(desc: DescMessage): number | undefined {
  return desc.fields.find((f) => f.fieldKind === "scalar" && f.scalar === 9 /* STRING */)?.number;
}

function binaryBody(desc: DescMessage, message: Message, kind: BodyKind, rng: Prng): Uint8Array {
  const valid = toBinary(desc, message);
  switch (kind) {
    case "valid":
      return valid;
    case "flipped-bytes": {
      const bytes = valid.length ? Uint8Array.from(valid) : rng.bytes(8);
      for (let i = rng.between(1, 4); i > 0; i--) bytes[rng.int(bytes.length)] = rng.int(256);
      return bytes;
    }
    case "truncated":
      return valid.subarray(0, Math.max(0, valid.length - rng.between(1, 8)));
    case "random-bytes":
      return rng.bytes(rng.between(1, 256));
    case "unknown-field":
      return concat(valid, varint((rng.between(1000, 536_870_911) << 3) >>> 0).slice(0, 5), [0]);
    case "invalid-utf8":
      return concat(valid, delimited(firstStringField(desc) ?? 1, Uint8Array.from([0x66, 0xff, 0xfe, 0xc3, 0x28])));
    case "deep-nesting": {
      // Unknown groups nested past any recursion limit, or length-delimited nesting.
      if (rng.chance(0.5)) {
        const depth = rng.pick([150, 1000, 20_000]);
        return concat(
          valid,
          new Array<number>(depth).fill((999 << 3) | 3),
          new Array<number>(depth).fill((999 << 3) | 4),
        );
      }
      let inner: Uint8Array = utf8.encode("x");
      for (let i = 0; i < 200; i++) inner = delimited(rng.pick([1, 2, 3, 999]), inner);
      return concat(valid, inner);
    }
    case "huge-string":
      return concat(valid, delimited(firstStringField(desc) ?? 1, utf8.encode(hugeText(rng))));
    case "json-as-proto":
      return utf8.encode(asJson(desc, message));
    default:
      return new Uint8Array(0);
  }
}

const wrongValues: unknown[] = [
  "text",
  12345,
  -1.5,
  true,
  null,
  [],
  [1, "a"],
  { nested: { deeper: 1 } },
  "9".repeat(400),
  1e308,
];

/** The message as JSON; `{}` when JSON cannot hold it (an unnormalized Duration has no JSON form). */
function asJson(desc: DescMessage, message: Message): string {
  try {
    return toJsonString(desc, message);
  } catch {
    return "{}";
  }
}

function jsonBody(desc: DescMessage, message: Message, kind: BodyKind, rng: Prng): Uint8Array {
  const json = JSON.parse(asJson(desc, message)) as Record<string, unknown>;
  const jsonNames = desc.fields.map((f) => f.jsonName);
  switch (kind) {
    case "valid":
      return utf8.encode(JSON.stringify(json));
    case "unknown-field":
      // Defined, not assigned: `__proto__` must become a key, not the object's prototype.
      Object.defineProperty(
        json,
        rng.pick(["number", "fuzzUnknown", "Name", "replica", "__proto__", "x".repeat(rng.pick([10, 100_000]))]),
        {
          value: rng.pick(wrongValues),
          enumerable: true,
        },
      );
      return utf8.encode(JSON.stringify(json));
    case "wrong-type":
      if (jsonNames.length) json[rng.pick(jsonNames)] = rng.pick(wrongValues);
      return utf8.encode(JSON.stringify(json));
    case "huge-string":
      if (jsonNames.length) json[rng.pick(jsonNames)] = hugeText(rng);
      return utf8.encode(JSON.stringify(json));
    case "invalid-utf8": {
      const name = jsonNames[0] ?? "name";
      return concat(utf8.encode(`{"${name}": "a`), [0xff, 0xfe, 0xc3, 0x28], utf8.encode(`"}`));
    }
    case "deep-nesting": {
      const depth = rng.pick([100, 5000, 100_000]);
      const name = jsonNames.length ? rng.pick(jsonNames) : "x";
      const open = rng.chance(0.5) ? "[" : '{"a":';
      const close = open === "[" ? "]" : "}";
      return utf8.encode(`{"${name}": ${open.repeat(depth)}1${close.repeat(depth)}}`);
    }
    case "truncated": {
      const text = JSON.stringify(json);
      return utf8.encode(text.slice(0, Math.max(0, text.length - rng.between(1, 5))));
    }
    case "random-bytes":
      return rng.bytes(rng.between(1, 128));
    default:
      return new Uint8Array(0);
  }
}
