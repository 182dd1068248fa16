/**
 * Timestamps to the nanosecond, as the engine's logs and events carry them, in and out of the
 * protobuf Timestamp: shared by StreamLogs and WatchEvents.
 */
import type { Timestamp } from "@bufbuild/protobuf/wkt";

/** A Timestamp to the nanosecond from nanoseconds since the epoch. */
export function timestampFromNano(nano: bigint): Timestamp {
  const seconds = nano / 1_000_000_000n;
  return { $typeName: "google.protobuf.Timestamp", seconds, nanos: Number(nano - seconds * 1_000_000_000n) };
}

export function nanoFromTimestamp(timestamp: Timestamp): bigint {
  return timestamp.seconds * 1_000_000_000n + BigInt(timestamp.nanos);
}
