import type { HealthCheckSpec } from "../model/container-options.js";
import { DockhandError } from "../model/dockhand-error.js";
import { checkHealthTiming } from "../model/workload-rules.js";
import type { FileMount, ServiceDefinition, ServiceMount } from "../model/service-definition.js";

type Raw = Record<string, unknown>;

/** The service file's keys for the workload parts of a definition. */
export const workloadKeys = [
  "health_check",
  "mounts",
  "read_only_root_filesystem",
  "networks",
  "secrets",
  "configs",
] as const;

function fail(where: string, problem: string): never {
  throw new DockhandError("InvalidArgument", `${where}: ${problem}`);
}

function mapping(value: unknown, where: string): Raw {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(where, "must be a mapping");
  return value as Raw;
}

function list(value: unknown, where: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(where, "must be a list");
  return value;
}

function onlyKeys(raw: Raw, keys: readonly string[], where: string): void {
  for (const key of Object.keys(raw)) if (!keys.includes(key)) fail(`${where}.${key}`, "is not a known field");
}

/** "500ms", "2s", "1m30s", or a number of seconds, as milliseconds. */
function milliseconds(value: unknown, where: string): number {
  if (value === undefined) return 0;
  if (typeof value === "number") return value * 1000;
  const text = String(value).trim();
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)?/gy)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text)
    fail(where, `"${text}" is not a duration like 500ms or 1m30s`);
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * (unit[p[2] ?? "s"] ?? 1000), 0));
}

function healthCheck(value: unknown, where: string): HealthCheckSpec {
  const raw = mapping(value, where);
  onlyKeys(raw, ["command", "shell", "none", "interval", "timeout", "retries", "start_period"], where);
  const command = list(raw.command, `${where}.command`).map(String);
  const test =
    raw.none === true
      ? ["NONE"]
      : command.length > 0
        ? ["CMD", ...command]
        : raw.shell !== undefined
          ? ["CMD-SHELL", String(raw.shell)]
          : [];
  const timing = (key: "interval" | "timeout") => {
    const ms = milliseconds(raw[key], `${where}.${key}`);
    // Written at all, it must be in range: "0s" is a mistake, not the engine's default.
    if (raw[key] !== undefined) checkHealthTiming(`${where}.${key}`, ms);
    return ms;
  };
  return {
    test,
    intervalMs: timing("interval"),
    timeoutMs: timing("timeout"),
    retries: Number(raw.retries ?? 0),
    startPeriodMs: milliseconds(raw.start_period, `${where}.start_period`),
  };
}

function mount(value: unknown, where: string): ServiceMount {
  const raw = mapping(value, where);
  onlyKeys(raw, ["type", "target", "source", "per_slot", "read_only", "tmpfs_size_bytes"], where);
  const type = String(raw.type ?? "volume");
  if (type !== "volume" && type !== "tmpfs" && type !== "bind") fail(`${where}.type`, "must be volume, tmpfs or bind");
  return {
    type,
    target: String(raw.target ?? ""),
    source: String(raw.source ?? ""),
    perSlot: raw.per_slot === true,
    readOnly: raw.read_only === true,
    tmpfsSizeBytes: Number(raw.tmpfs_size_bytes ?? 0),
  };
}

function fileMount(value: unknown, where: string, kind: "secret" | "config"): FileMount {
  const raw = typeof value === "string" ? { name: value } : mapping(value, where);
  onlyKeys(raw, ["name", "target", "mode", "uid", "gid"], where);
  const name = String(raw.name ?? "");
  return {
    name,
    target: raw.target !== undefined ? String(raw.target) : kind === "secret" ? `/run/secrets/${name}` : `/${name}`,
    mode: raw.mode === undefined ? 0o444 : Number(raw.mode),
    uid: Number(raw.uid ?? 0),
    gid: Number(raw.gid ?? 0),
  };
}

/** The workload fields of one service of the file; absent keys stay absent. */
export function workloadFromYaml(raw: Raw, where: string): Partial<ServiceDefinition> {
  const result: Partial<ServiceDefinition> = {};
  if (raw.health_check !== undefined) result.healthCheck = healthCheck(raw.health_check, `${where}.health_check`);
  const mounts = list(raw.mounts, `${where}.mounts`).map((m, i) => mount(m, `${where}.mounts[${i}]`));
  if (mounts.length > 0) result.mounts = mounts;
  if (raw.read_only_root_filesystem === true) result.readOnlyRootFs = true;
  const networks = list(raw.networks, `${where}.networks`).map(String);
  if (networks.length > 0) result.networks = networks;
  const secrets = list(raw.secrets, `${where}.secrets`).map((s, i) => fileMount(s, `${where}.secrets[${i}]`, "secret"));
  if (secrets.length > 0) result.secrets = secrets;
  const configs = list(raw.configs, `${where}.configs`).map((c, i) => fileMount(c, `${where}.configs[${i}]`, "config"));
  if (configs.length > 0) result.configs = configs;
  return result;
}
