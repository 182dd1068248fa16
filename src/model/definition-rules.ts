import { isIP } from "node:net";
import { invalidArgument } from "./dockhand-error.js";
import { parseImageReference } from "./image-reference.js";
import type { ServiceDefinition, UpdatePolicy } from "./service-definition.js";
import { quote } from "./quote.js";
import { checkHealthGate, checkWorkload } from "./workload-rules.js";

export const serviceNamePattern = /^[a-z0-9][a-z0-9_.-]{0,62}$/;
export const maxStopGraceSeconds = 3600;
/** The engine refuses memory limits below 6 MiB. */
export const minMemoryBytes = 6 * 1024 * 1024;
export const reservedLabelPrefix = "dockhand.";

/**
 * Throws InvalidArgument naming the first offending field (prefixed with `prefix`, e.g.
 * `service.`) when the definition breaks a rule; returns silently otherwise.
 */
export function checkDefinition(def: ServiceDefinition, prefix = ""): void {
  checkServiceName(def.name, `${prefix}name`);
  checkContainerFields(def, prefix);
  checkWorkload(def, prefix);
}

/** The fields a service definition shares with a single container's spec (CreateContainer). */
export type ContainerFields = Pick<
  ServiceDefinition,
  "image" | "command" | "environment" | "ports" | "labels" | "init" | "restart" | "memoryBytes" | "cpuMillis"
> & {
  /** Undefined: the container's own default (a container spec may leave it unset). */
  stopGraceSeconds?: number;
};

/** checkDefinition's rules for the fields a container spec shares with a definition. */
export function checkContainerFields(def: ContainerFields, prefix = ""): void {
  checkImage(def.image, `${prefix}image`);
  def.command.forEach((arg, i) => {
    if (arg.includes("\0")) throw invalidArgument(`${prefix}command[${i}]`, "must not contain NUL");
  });
  for (const [key, value] of Object.entries(def.environment)) {
    const field = `${prefix}environment[${quote(key)}]`;
    if (key === "") throw invalidArgument(`${prefix}environment`, "keys must not be empty");
    if (key.includes("=")) throw invalidArgument(field, "key must not contain '='");
    if (key.includes("\0") || value.includes("\0")) throw invalidArgument(field, "must not contain NUL");
  }
  checkPorts(def, prefix);
  for (const key of Object.keys(def.labels)) {
    if (key === "") throw invalidArgument(`${prefix}labels`, "keys must not be empty");
    if (key.startsWith(reservedLabelPrefix)) {
      throw invalidArgument(
        `${prefix}labels[${quote(key)}]`,
        `keys starting with "${reservedLabelPrefix}" are reserved for dockhand`,
      );
    }
  }
  const grace = def.stopGraceSeconds ?? 0;
  if (!Number.isFinite(grace) || grace < 0 || grace > maxStopGraceSeconds) {
    throw invalidArgument(
      `${prefix}stop_grace_period`,
      `must be between 0s and ${maxStopGraceSeconds}s (got ${grace}s)`,
    );
  }
  if (def.restart.mode !== "on-failure" && def.restart.maxRetries !== 0) {
    throw invalidArgument(`${prefix}restart_policy.max_retries`, "is only allowed with mode ON_FAILURE");
  }
  if (def.memoryBytes !== 0 && def.memoryBytes < minMemoryBytes) {
    throw invalidArgument(
      `${prefix}resources.memory_bytes`,
      `must be 0 (no limit) or at least ${minMemoryBytes} (got ${def.memoryBytes})`,
    );
  }
  if (def.cpuMillis < 0 || def.cpuMillis > 1_000_000) {
    throw invalidArgument(`${prefix}resources.cpu_millis`, `must be between 0 and 1000000 (got ${def.cpuMillis})`);
  }
}

export function checkServiceName(name: string, field = "name"): void {
  if (name === "") throw invalidArgument(field, "is required");
  if (!serviceNamePattern.test(name)) {
    throw invalidArgument(
      field,
      `${quote(name)} is not a valid service name: 1-63 characters, lower-case letters, digits, '-', '_' or '.', starting with a letter or digit`,
    );
  }
}

export function checkImage(image: string, field = "image"): void {
  if (image === "") throw invalidArgument(field, "is required");
  const parsed = parseImageReference(image);
  if (typeof parsed === "string") throw invalidArgument(field, `${quote(image)} ${parsed}`);
  if (parsed.tag === undefined && parsed.digest === undefined) {
    throw invalidArgument(field, `${quote(image)} needs a tag or a digest, for example "${image}:1.0"`);
  }
}

function checkPorts(def: Pick<ServiceDefinition, "ports">, prefix: string): void {
  const seen = new Set<string>();
  def.ports.forEach((port, i) => {
    const field = `${prefix}ports[${i}]`;
    if (!Number.isInteger(port.containerPort) || port.containerPort < 1 || port.containerPort > 65535) {
      throw invalidArgument(`${field}.container_port`, `must be between 1 and 65535 (got ${port.containerPort})`);
    }
    if (!Number.isInteger(port.hostPort) || port.hostPort < 0 || port.hostPort > 65535) {
      throw invalidArgument(`${field}.host_port`, `must be between 0 (any) and 65535 (got ${port.hostPort})`);
    }
    if (port.hostIp !== "" && isIP(port.hostIp) === 0) {
      throw invalidArgument(`${field}.host_ip`, `${quote(port.hostIp)} is not an IP address`);
    }
    const key = `${port.containerPort}/${port.protocol}/${port.hostIp}`;
    if (seen.has(key)) throw invalidArgument(field, `publishes ${port.containerPort}/${port.protocol} twice`);
    seen.add(key);
  });
}

/** True when a container port is bound to a fixed host port, which only one container can hold. */
export function hasFixedHostPort(def: ServiceDefinition): boolean {
  return def.ports.some((port) => port.hostPort !== 0);
}

/** The longest update delay or monitor window. */
export const maxUpdateWaitMs = 3_600_000;

export function checkUpdatePolicy(policy: UpdatePolicy, prefix = "update_config."): void {
  if (!Number.isInteger(policy.parallelism) || policy.parallelism < 1 || policy.parallelism > 100) {
    throw invalidArgument(`${prefix}parallelism`, `must be between 1 and 100 (got ${policy.parallelism})`);
  }
  for (const [field, value] of [
    ["delay", policy.delayMs],
    ["monitor", policy.monitorMs],
  ] as const) {
    if (!Number.isFinite(value) || value < 0 || value > maxUpdateWaitMs) {
      throw invalidArgument(`${prefix}${field}`, `must be between 0s and 1h (got ${value / 1000}s)`);
    }
  }
  checkHealthGate(policy, prefix);
  if (!Number.isInteger(policy.canary) || policy.canary < 0 || policy.canary > 100) {
    throw invalidArgument(`${prefix}canary`, `must be between 0 and 100 (got ${policy.canary})`);
  }
  for (const [field, on] of [
    ["auto_promote", policy.autoPromote],
    ["auto_revert", policy.autoRevert],
  ] as const) {
    if (on && policy.canary === 0) throw invalidArgument(`${prefix}${field}`, "needs canary above 0");
  }
}
