import type { HealthCheckSpec } from "./container-options.js";
import { invalidArgument } from "./dockhand-error.js";
import { isAbsolute, normalize } from "node:path/posix";
import { quote } from "./quote.js";
import type { FileMount, ServiceDefinition, ServiceMount, UpdatePolicy } from "./service-definition.js";

/** The shortest health-check interval or timeout: shorter ones only load the engine. */
export const minHealthCheckMs = 100;
export const maxHealthCheckMs = 3_600_000;
export const maxHealthCheckRetries = 100;

/**
 * Rules of the workload parts of a definition (health check, mounts, networks, secrets):
 * throws InvalidArgument naming the first offending field, prefixed with `prefix`.
 */
export function checkWorkload(def: ServiceDefinition, prefix = ""): void {
  if (def.healthCheck) checkHealthCheck(def.healthCheck, `${prefix}health_check.`);
  checkMounts(def.mounts ?? [], `${prefix}mounts`);
  checkNetworks(def.networks ?? [], `${prefix}networks`);
  const targets = (def.mounts ?? []).map((m) => normalize(m.target).replace(/\/+$/, ""));
  checkFileMounts(def.secrets ?? [], `${prefix}secrets`, targets);
  checkFileMounts(def.configs ?? [], `${prefix}configs`, targets);
  if (def.readOnlyRootFs && (def.secrets?.length || def.configs?.length)) {
    throw invalidArgument(
      `${prefix}${def.secrets?.length ? "secrets" : "configs"}`,
      "cannot be used with read_only_root_filesystem: the files are copied into the container before it starts",
    );
  }
}

/** DNS-safe: what Swarm and Kubernetes accept as a secret's name. */
export const secretNamePattern = /^[a-z0-9](?:[a-z0-9.-]{0,61}[a-z0-9])?$/;

export function checkSecretName(name: string, field: string): void {
  if (name === "") throw invalidArgument(field, "is required");
  if (!secretNamePattern.test(name)) {
    throw invalidArgument(
      field,
      `${quote(name)} is not DNS-safe: 1-63 lower-case letters, digits, '-' or '.', starting and ending with a letter or digit`,
    );
  }
}

/** Kernel file systems the engine mounts over a container's root at start: a file put there is hidden. */
export const kernelMountRoots = ["/proc", "/sys", "/dev"] as const;

/** Checks file targets against each other and against the mounts' `targets` (which it extends). */
function checkFileMounts(files: FileMount[], field: string, targets: string[]): void {
  if (files.length > maxMounts) throw invalidArgument(field, `at most ${maxMounts} (got ${files.length})`);
  files.forEach((file, i) => {
    const at = `${field}[${i}]`;
    checkSecretName(file.name, `${at}.name`);
    if (!isAbsolute(file.target) || file.target.endsWith("/") || file.target.includes("\0")) {
      throw invalidArgument(`${at}.target`, `${quote(file.target)} must be an absolute file path`);
    }
    const clean = normalize(file.target);
    const hidden = kernelMountRoots.find((root) => clean === root || clean.startsWith(`${root}/`));
    if (hidden !== undefined) {
      throw invalidArgument(
        `${at}.target`,
        `${quote(file.target)} is under ${hidden}, which the engine mounts over when the container starts, so the file would be missing; choose another path`,
      );
    }
    const clash = targets.find(
      (other) => other === clean || clean.startsWith(`${other}/`) || other.startsWith(`${clean}/`),
    );
    if (clash !== undefined)
      throw invalidArgument(`${at}.target`, `${quote(file.target)} collides with ${quote(clash)}`);
    targets.push(clean);
    if (!Number.isInteger(file.mode) || file.mode < 0 || file.mode > 0o777)
      throw invalidArgument(`${at}.mode`, `must be between 0 and 0777 (got ${file.mode.toString(8)})`);
  });
}

export const maxNetworks = 16;
export const networkNamePattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;

/** `host` and `container:<name>`: the host's or another container's network namespace. */
export function isSharedNetworkMode(network: string): boolean {
  return network === "host" || network.startsWith("container:");
}

function checkNetworks(networks: string[], field: string): void {
  if (networks.length > maxNetworks) throw invalidArgument(field, `at most ${maxNetworks} (got ${networks.length})`);
  networks.forEach((network, i) => {
    const at = `${field}[${i}]`;
    if (network === "bridge" || network === "none") {
      throw invalidArgument(
        at,
        `${quote(network)} has no DNS for the service's name; name a network of your own, or leave networks empty for the default bridge`,
      );
    }
    if (isSharedNetworkMode(network)) {
      if (networks.length > 1) throw invalidArgument(at, `${quote(network)} must be the only network`);
      if (network.startsWith("container:") && !/^container:[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/.test(network)) {
        throw invalidArgument(at, `${quote(network)} must name a container after "container:"`);
      }
      return;
    }
    if (!networkNamePattern.test(network)) {
      throw invalidArgument(
        at,
        `${quote(network)} is not a network name (1-64 letters, digits, '_', '.' or '-', starting with a letter or digit)`,
      );
    }
    if (networks.indexOf(network) !== i) throw invalidArgument(at, `${quote(network)} is named twice`);
  });
}

export const maxMounts = 64;
export const maxTmpfsBytes = 64 * 1024 ** 3;
/** Letters, digits, `_`, `.`, `-`: never a path, so a volume cannot name a host folder. */
export const volumeNamePattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;

function checkMounts(mounts: ServiceMount[], field: string): void {
  if (mounts.length > maxMounts) throw invalidArgument(field, `at most ${maxMounts} (got ${mounts.length})`);
  const targets: string[] = [];
  mounts.forEach((mount, i) => {
    const at = `${field}[${i}]`;
    const target = mount.target;
    if (target === "") throw invalidArgument(`${at}.target`, "is required");
    if (!isAbsolute(target) || normalize(target) === "/" || target.includes("\0")) {
      throw invalidArgument(`${at}.target`, `${quote(target)} must be an absolute path other than "/"`);
    }
    const clean = normalize(target).replace(/\/+$/, "");
    const clash = targets.find(
      (other) => other === clean || other.startsWith(`${clean}/`) || clean.startsWith(`${other}/`),
    );
    if (clash !== undefined)
      throw invalidArgument(`${at}.target`, `${quote(target)} collides with the mount at ${quote(clash)}`);
    targets.push(clean);
    if (mount.type !== "volume" && mount.perSlot)
      throw invalidArgument(`${at}.per_slot`, "is only allowed for volumes");
    if (mount.type !== "tmpfs" && mount.tmpfsSizeBytes !== 0)
      throw invalidArgument(`${at}.tmpfs_size_bytes`, "is only allowed for tmpfs");
    if (mount.type === "volume" && !volumeNamePattern.test(mount.source)) {
      throw invalidArgument(
        `${at}.source`,
        `${quote(mount.source)} is not a volume name (1-64 letters, digits, '_', '.' or '-', starting with a letter or digit; host paths need type BIND)`,
      );
    }
    if (mount.type === "bind" && (!isAbsolute(mount.source) || mount.source.includes("\0"))) {
      throw invalidArgument(`${at}.source`, `${quote(mount.source)} must be an absolute host path`);
    }
    if (mount.type === "tmpfs") {
      if (mount.source !== "") throw invalidArgument(`${at}.source`, "must be empty for tmpfs");
      if (mount.readOnly) throw invalidArgument(`${at}.read_only`, "is not allowed for tmpfs");
      if (
        !Number.isSafeInteger(mount.tmpfsSizeBytes) ||
        mount.tmpfsSizeBytes < 0 ||
        mount.tmpfsSizeBytes > maxTmpfsBytes
      ) {
        throw invalidArgument(
          `${at}.tmpfs_size_bytes`,
          `must be between 0 and ${maxTmpfsBytes} (got ${mount.tmpfsSizeBytes})`,
        );
      }
    }
  });
}

function checkHealthCheck(check: HealthCheckSpec, prefix: string): void {
  const [kind, ...rest] = check.test;
  if (kind === "NONE" && (check.intervalMs || check.timeoutMs || check.retries || check.startPeriodMs)) {
    throw invalidArgument(`${prefix}none`, "disables the check, so no timing may be set with it");
  }
  if (kind === "CMD" && rest.length === 0) throw invalidArgument(`${prefix}command`, "must not be empty");
  if (kind === "CMD-SHELL" && (rest[0] ?? "").trim() === "")
    throw invalidArgument(`${prefix}shell`, "must not be empty");
  rest.forEach((arg, i) => {
    if (arg.includes("\0"))
      throw invalidArgument(kind === "CMD" ? `${prefix}command[${i}]` : `${prefix}shell`, "must not contain NUL");
  });
  // 0 is "unset" here: a mapper that can tell an explicit 0s from an absent field checks it with checkHealthTiming.
  if (check.intervalMs !== 0) checkHealthTiming(`${prefix}interval`, check.intervalMs);
  if (check.timeoutMs !== 0) checkHealthTiming(`${prefix}timeout`, check.timeoutMs);
  if (!Number.isFinite(check.startPeriodMs) || check.startPeriodMs < 0 || check.startPeriodMs > maxHealthCheckMs) {
    throw invalidArgument(`${prefix}start_period`, `must be between 0s and 1h (got ${check.startPeriodMs / 1000}s)`);
  }
  if (!Number.isInteger(check.retries) || check.retries < 0 || check.retries > maxHealthCheckRetries) {
    throw invalidArgument(`${prefix}retries`, `must be between 0 and ${maxHealthCheckRetries} (got ${check.retries})`);
  }
}

/**
 * A health check's interval or timeout that the client gave: 100 ms to 1 hour. An explicit 0s is
 * refused, never read as the engine's default (which is what leaving the field out means).
 */
export function checkHealthTiming(field: string, ms: number): void {
  if (!Number.isFinite(ms) || ms < minHealthCheckMs || ms > maxHealthCheckMs) {
    throw invalidArgument(field, `must be between 100ms and 1h (got ${ms / 1000}s)`);
  }
}

/** Rules of the health gate of a rolling update (`min_healthy_time`, `healthy_deadline`). */
export function checkHealthGate(
  policy: Pick<UpdatePolicy, "minHealthyMs" | "healthyDeadlineMs">,
  prefix: string,
): void {
  if (!Number.isFinite(policy.minHealthyMs) || policy.minHealthyMs < 0 || policy.minHealthyMs > maxHealthCheckMs) {
    throw invalidArgument(
      `${prefix}min_healthy_time`,
      `must be between 0s and 1h (got ${policy.minHealthyMs / 1000}s)`,
    );
  }
  if (
    !Number.isFinite(policy.healthyDeadlineMs) ||
    policy.healthyDeadlineMs < 1000 ||
    policy.healthyDeadlineMs > maxHealthCheckMs
  ) {
    throw invalidArgument(
      `${prefix}healthy_deadline`,
      `must be between 1s and 1h (got ${policy.healthyDeadlineMs / 1000}s)`,
    );
  }
  if (policy.healthyDeadlineMs <= policy.minHealthyMs) {
    throw invalidArgument(
      `${prefix}healthy_deadline`,
      `must be longer than min_healthy_time (${policy.minHealthyMs / 1000}s; got ${policy.healthyDeadlineMs / 1000}s)`,
    );
  }
}
