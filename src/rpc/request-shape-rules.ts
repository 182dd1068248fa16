import type { DescEnum, DescField, DescMessage, Message } from "@bufbuild/protobuf";
import { isReflectMessage, reflect, type ReflectMessage } from "@bufbuild/protobuf/reflect";
import { invalidArgument } from "../model/dockhand-error.js";
import { quote } from "../model/quote.js";

/** The range protobuf gives Duration and Timestamp seconds (about 10,000 years). */
const maxDurationSeconds = 315_576_000_000n;
const minTimestampSeconds = -62_135_596_800n; // 0001-01-01T00:00:00Z
const maxTimestampSeconds = 253_402_300_799n; // 9999-12-31T23:59:59Z
const maxNanos = 999_999_999;

/**
 * Throws InvalidArgument naming the field (as the proto names it, e.g.
 * `service.update_config.order`) when a request holds what no handler should have to check:
 * an enum number the schema does not define (open enums keep any int32, in binary and in JSON
 * alike), or a Duration or Timestamp that is not normalized. Driven by the descriptors, so it
 * covers every field of every RPC, present and future.
 */
export function checkRequestShape(schema: DescMessage, message: Message): void {
  checkMessage(reflect(schema, message), "");
}

function checkMessage(r: ReflectMessage, prefix: string): void {
  if (r.desc.typeName === "google.protobuf.Duration") return checkDuration(r, prefix);
  if (r.desc.typeName === "google.protobuf.Timestamp") return checkTimestamp(r, prefix);
  for (const field of r.fields) {
    if (!r.isSet(field)) continue;
    const path = `${prefix}${field.name}`;
    switch (field.fieldKind) {
      case "enum":
        checkEnum(field.enum, r.get(field) as number, path);
        break;
      case "message":
        checkMessage(r.get(field) as ReflectMessage, `${path}.`);
        break;
      case "list": {
        let i = 0;
        for (const item of r.get(field)) {
          if (field.listKind === "enum") checkEnum(field.enum, item as number, `${path}[${i}]`);
          if (isReflectMessage(item)) checkMessage(item, `${path}[${i}].`);
          i++;
        }
        break;
      }
      case "map":
        for (const [key, value] of r.get(field)) {
          const entry = `${path}[${quote(String(key))}]`;
          if (field.mapKind === "enum") checkEnum(field.enum, value as number, entry);
          if (isReflectMessage(value)) checkMessage(value, `${entry}.`);
        }
        break;
    }
  }
}

function checkEnum(desc: DescEnum, value: number, path: string): void {
  if (desc.values.some((v) => v.number === value)) return;
  const names = desc.values.filter((v) => v.number !== 0).map((v) => v.name);
  throw invalidArgument(path, `${value} is not a value of ${desc.name} (one of ${names.join(", ")})`);
}

function field(r: ReflectMessage, name: string): DescField {
  return r.fields.find((f) => f.name === name)!;
}

function checkDuration(r: ReflectMessage, path: string): void {
  const seconds = r.get(field(r, "seconds")) as bigint;
  const nanos = r.get(field(r, "nanos")) as number;
  const where = path.replace(/\.$/, "");
  if (seconds > maxDurationSeconds || seconds < -maxDurationSeconds || nanos > maxNanos || nanos < -maxNanos) {
    throw invalidArgument(where, `is not a valid duration (seconds ${seconds}, nanos ${nanos}): out of range`);
  }
  if ((seconds > 0n && nanos < 0) || (seconds < 0n && nanos > 0)) {
    throw invalidArgument(
      where,
      `is not a normalized duration (seconds ${seconds}, nanos ${nanos}): both must have the same sign`,
    );
  }
}

function checkTimestamp(r: ReflectMessage, path: string): void {
  const seconds = r.get(field(r, "seconds")) as bigint;
  const nanos = r.get(field(r, "nanos")) as number;
  if (seconds < minTimestampSeconds || seconds > maxTimestampSeconds || nanos < 0 || nanos > maxNanos) {
    throw invalidArgument(
      path.replace(/\.$/, ""),
      `is not a valid timestamp (seconds ${seconds}, nanos ${nanos}): out of range`,
    );
  }
}
