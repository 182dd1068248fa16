import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import type { HealthCheckSpec } from "../../engine/types.js";
import { invalidArgument } from "../../model/dockhand-error.js";
import { checkHealthTiming } from "../../model/workload-rules.js";
import { nonNegativeMs } from "../container-fields.js";
import type { FileMount, ServiceMount } from "../../model/service-definition.js";
import {
  ServiceMountType,
  type FileMount as ProtoFileMount,
  type FileMountSchema,
  type HealthCheck,
  type HealthCheckSchema,
  type ServiceMount as ProtoMount,
  type ServiceMountSchema,
} from "../../../gen/dockhand/v1/service_pb.js";

/** A HealthCheck message in the engine's form; undefined when unset (the image's own check). */
export function healthCheckFromProto(check: HealthCheck | undefined, prefix: string): HealthCheckSpec | undefined {
  if (!check) return undefined;
  const given = [check.command.length > 0 && "command", check.shell !== "" && "shell", check.none && "none"].filter(
    Boolean,
  );
  if (given.length > 1)
    throw invalidArgument(
      `${prefix}${given[1]}`,
      `cannot be set together with ${given[0]}: set one of command, shell and none`,
    );
  const ms = (field: string, value: HealthCheck["interval"]) => (value ? nonNegativeMs(value, `${prefix}${field}`) : 0);
  // Given at all, interval and timeout must be in range: an explicit 0s is a mistake, not "the default".
  if (check.interval) checkHealthTiming(`${prefix}interval`, ms("interval", check.interval));
  if (check.timeout) checkHealthTiming(`${prefix}timeout`, ms("timeout", check.timeout));
  return {
    test: check.none
      ? ["NONE"]
      : check.command.length > 0
        ? ["CMD", ...check.command]
        : check.shell !== ""
          ? ["CMD-SHELL", check.shell]
          : [],
    intervalMs: ms("interval", check.interval),
    timeoutMs: ms("timeout", check.timeout),
    retries: check.retries,
    startPeriodMs: ms("start_period", check.startPeriod),
  };
}

export function healthCheckToProto(
  check: HealthCheckSpec | undefined,
): MessageInitShape<typeof HealthCheckSchema> | undefined {
  if (!check) return undefined;
  const [kind, ...rest] = check.test;
  const duration = (ms: number) => (ms > 0 ? durationFromMs(ms) : undefined);
  return {
    command: kind === "CMD" ? rest : [],
    shell: kind === "CMD-SHELL" ? (rest[0] ?? "") : "",
    none: kind === "NONE",
    interval: duration(check.intervalMs),
    timeout: duration(check.timeoutMs),
    retries: check.retries,
    startPeriod: duration(check.startPeriodMs),
  };
}

const mountTypes: Record<ServiceMountType, ServiceMount["type"]> = {
  [ServiceMountType.UNSPECIFIED]: "volume",
  [ServiceMountType.VOLUME]: "volume",
  [ServiceMountType.TMPFS]: "tmpfs",
  [ServiceMountType.BIND]: "bind",
};

export function mountsFromProto(mounts: ProtoMount[], prefix: string): ServiceMount[] {
  return mounts.map((mount, i) => {
    const type = mountTypes[mount.type];
    if (!type) throw invalidArgument(`${prefix}[${i}].type`, `unknown type ${mount.type}`);
    if (mount.tmpfsSizeBytes > BigInt(Number.MAX_SAFE_INTEGER))
      throw invalidArgument(`${prefix}[${i}].tmpfs_size_bytes`, "is too large");
    return {
      type,
      target: mount.target,
      source: mount.source,
      perSlot: mount.perSlot,
      readOnly: mount.readOnly,
      tmpfsSizeBytes: Number(mount.tmpfsSizeBytes),
    };
  });
}

export function mountsToProto(mounts: ServiceMount[] | undefined): MessageInitShape<typeof ServiceMountSchema>[] {
  return (mounts ?? []).map((mount) => ({
    type:
      mount.type === "tmpfs"
        ? ServiceMountType.TMPFS
        : mount.type === "bind"
          ? ServiceMountType.BIND
          : ServiceMountType.VOLUME,
    target: mount.target,
    source: mount.source,
    perSlot: mount.perSlot,
    readOnly: mount.readOnly,
    tmpfsSizeBytes: BigInt(mount.tmpfsSizeBytes),
  }));
}

/** Secret or config files; an empty target or mode takes Swarm's default. */
export function fileMountsFromProto(files: ProtoFileMount[], kind: "secret" | "config"): FileMount[] {
  return files.map((file) => ({
    name: file.name,
    target: file.target !== "" ? file.target : kind === "secret" ? `/run/secrets/${file.name}` : `/${file.name}`,
    mode: file.mode === 0 ? 0o444 : file.mode,
    uid: file.uid,
    gid: file.gid,
  }));
}

export function fileMountsToProto(files: FileMount[] | undefined): MessageInitShape<typeof FileMountSchema>[] {
  return (files ?? []).map((file) => ({ ...file }));
}
