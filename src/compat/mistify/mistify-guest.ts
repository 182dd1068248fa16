import { member, RpcTransportError, unmarshalError } from "./json-rpc-envelope.js";

/** A mistify guest, re-encoded as Go encoded `client.Guest`: its keys, its order, its omitempty. */
export type Guest = Record<string, unknown> & {
  id: string;
  image?: string;
  nics?: Nic[];
  memory?: number;
  state?: string;
};
export type Nic = Record<string, unknown> & { name?: string; network: string; mac?: string };

type Kind = "string" | "uint" | "int" | "strings" | "ints" | "stringMap";
/** [key, kind, omitempty] in the struct's field order. */
type Field = [string, Kind, boolean];

const guestFields: Field[] = [
  ["id", "string", false],
  ["type", "string", true],
  ["image", "string", true],
  ["nics", "strings", true],
  ["disks", "strings", true],
  ["state", "string", true],
  ["memory", "uint", true],
  ["cpu", "uint", true],
  ["vnc", "int", true],
  ["metadata", "stringMap", true],
];
const nicFields: Field[] = [
  ["name", "string", true],
  ["network", "string", false],
  ["model", "string", false],
  ["mac", "string", true],
  ["address", "string", false],
  ["netmask", "string", false],
  ["gateway", "string", false],
  ["device", "string", true],
  ["vlans", "ints", false],
];
const diskFields: Field[] = [
  ["bus", "string", false],
  ["device", "string", false],
  ["size", "uint", false],
  ["volume", "string", false],
  ["image", "string", false],
  ["source", "string", false],
];

const goTypes: Record<Kind, string> = {
  string: "string",
  uint: "uint",
  int: "int",
  strings: "[]",
  ints: "[]int",
  stringMap: "map[string]string",
};

function scalar(value: unknown, kind: Kind): unknown {
  if (kind === "string") {
    if (typeof value !== "string") throw unmarshalError(value, "string");
    return value;
  }
  const unsigned = kind === "uint";
  if (
    typeof value !== "number" ||
    !Number.isInteger(value) ||
    (unsigned && value < 0) ||
    !Number.isSafeInteger(value)
  ) {
    if (typeof value === "number")
      throw new RpcTransportError(400, `json: cannot unmarshal number ${value} into Go value of type ${goTypes[kind]}`);
    throw unmarshalError(value, goTypes[kind]);
  }
  return value;
}

function isEmpty(value: unknown): boolean {
  return (
    value === "" ||
    value === 0 ||
    value === null ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === "object" && value !== null && Object.keys(value).length === 0)
  );
}

/** Decodes into a struct and encodes it again: unknown keys go, omitempty zero values go, order is the struct's. */
function struct(
  raw: unknown,
  fields: Field[],
  nested: Record<string, Field[]>,
  goName: string,
): Record<string, unknown> {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw unmarshalError(raw, goName);
  const input = raw as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, kind, omitempty] of fields) {
    const value = member(input, key);
    let decoded: unknown;
    if (value === undefined || value === null) {
      decoded = kind === "string" ? "" : kind === "uint" || kind === "int" ? 0 : null;
    } else if (nested[key]) {
      if (!Array.isArray(value)) throw unmarshalError(value, `[]client.${key === "nics" ? "Nic" : "Disk"}`);
      decoded = value.map((item) => struct(item, nested[key], {}, key === "nics" ? "client.Nic" : "client.Disk"));
    } else if (kind === "ints") {
      if (!Array.isArray(value)) throw unmarshalError(value, "[]int");
      decoded = value.map((v) => scalar(v, "int"));
    } else if (kind === "stringMap") {
      if (typeof value !== "object" || Array.isArray(value)) throw unmarshalError(value, "map[string]string");
      decoded = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, scalar(v, "string")]),
      );
    } else {
      decoded = scalar(value, kind);
    }
    if (omitempty && isEmpty(decoded)) continue;
    out[key] = decoded;
  }
  return out;
}

/** The request's guest, or undefined when it is missing or null. Throws RpcTransportError on a wrong type. */
export function decodeGuest(raw: unknown): Guest | undefined {
  if (raw === undefined || raw === null) return undefined;
  return struct(raw, guestFields, { nics: nicFields, disks: diskFields }, "client.Guest") as Guest;
}

/** The guest with `state` set, keeping Go's field order. */
export function withState(guest: Guest, state: string): Guest {
  const out: Record<string, unknown> = {};
  for (const [key] of guestFields) {
    if (key === "state") out.state = state;
    else if (key in guest) out[key] = guest[key];
  }
  return out as Guest;
}
