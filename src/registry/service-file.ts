import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import type { PortProtocol, RestartMode } from "../model/container-options.js";
import { DockhandError } from "../model/dockhand-error.js";
import { checkDefinition } from "../model/definition-rules.js";
import { definitionWithDefaults, type ServiceDefinition } from "../model/service-definition.js";
import type { ServiceRegistry } from "./service-registry.js";
import type { SecretStore } from "./secret-store.js";
import { withFileVersions } from "./file-versions.js";
import { workloadFromYaml, workloadKeys } from "./service-file-workload.js";

type Raw = Record<string, unknown>;

function fail(where: string, problem: string): never {
  throw new DockhandError("InvalidArgument", `${where}: ${problem}`);
}

function record(value: unknown, where: string): Raw {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) fail(where, "must be a mapping");
  return value as Raw;
}

function stringMap(value: unknown, where: string): Record<string, string> {
  return Object.fromEntries(Object.entries(record(value, where)).map(([k, v]) => [k, String(v)]));
}

/** "90", "90s", "1m30s", "500ms" as whole seconds (rounded up). */
function seconds(value: unknown, where: string): number {
  if (typeof value === "number") return value;
  const text = String(value).trim();
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)?/gy)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text)
    fail(where, `"${text}" is not a duration like 10s or 1m30s`);
  const unit: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  return Math.ceil(parts.reduce((sum, p) => sum + Number(p[1]) * (unit[p[2] ?? "s"] ?? 1), 0));
}

function unhealthyAction(value: unknown, where: string): boolean {
  if (value === undefined || value === "replace") return true;
  if (value === "ignore") return false;
  return fail(where, "must be replace or ignore");
}

function definitionFromYaml(name: string, raw: Raw, where: string): ServiceDefinition {
  const known = new Set([
    "image",
    "command",
    "environment",
    "ports",
    "labels",
    "stop_grace_period",
    "init",
    "restart_policy",
    "resources",
    "unhealthy_action",
    ...workloadKeys,
  ]);
  for (const key of Object.keys(raw)) if (!known.has(key)) fail(`${where}.${key}`, "is not a known field");
  const command = raw.command === undefined ? [] : raw.command;
  if (!Array.isArray(command)) fail(`${where}.command`, "must be a list of strings");
  const ports = raw.ports ?? [];
  if (!Array.isArray(ports)) fail(`${where}.ports`, "must be a list");
  const restart = record(raw.restart_policy, `${where}.restart_policy`);
  const resources = record(raw.resources, `${where}.resources`);
  return definitionWithDefaults({
    name,
    image: String(raw.image ?? ""),
    command: command.map(String),
    environment: stringMap(raw.environment, `${where}.environment`),
    ports: ports.map((p: unknown, i) => {
      const port = record(p, `${where}.ports[${i}]`);
      return {
        containerPort: Number(port.container_port ?? 0),
        protocol: String(port.protocol ?? "tcp").toLowerCase() as PortProtocol,
        hostPort: Number(port.host_port ?? 0),
        hostIp: String(port.host_ip ?? ""),
      };
    }),
    labels: stringMap(raw.labels, `${where}.labels`),
    ...(raw.stop_grace_period === undefined
      ? {}
      : { stopGraceSeconds: seconds(raw.stop_grace_period, `${where}.stop_grace_period`) }),
    init: raw.init === true,
    restart: { mode: String(restart.mode ?? "no") as RestartMode, maxRetries: Number(restart.max_retries ?? 0) },
    memoryBytes: Number(resources.memory_bytes ?? 0),
    cpuMillis: Number(resources.cpu_millis ?? 0),
    replaceUnhealthy: unhealthyAction(raw.unhealthy_action, `${where}.unhealthy_action`),
    ...workloadFromYaml(raw, where),
  });
}

/**
 * Reads a YAML service file: a `services:` mapping of name to definition (or, as the seed's
 * file did, the definitions at the top level). Throws InvalidArgument naming file and field.
 */
export async function readServiceFile(path: string): Promise<ServiceDefinition[]> {
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(path, "utf8"));
  } catch (err) {
    throw new DockhandError("InvalidArgument", `service file ${path}: ${(err as Error).message}`, { cause: err });
  }
  const top = record(doc, `service file ${path}`);
  const services = "services" in top ? record(top.services, `${path}: services`) : top;
  return Object.entries(services).map(([name, raw]) => {
    const where = `${path}: services.${name}`;
    const def = definitionFromYaml(name, record(raw, where), where);
    const protocols = new Set(["tcp", "udp", "sctp"]);
    def.ports.forEach(
      (p, i) => protocols.has(p.protocol) || fail(`${where}.ports[${i}].protocol`, "must be tcp, udp or sctp"),
    );
    if (!["no", "always", "on-failure", "unless-stopped"].includes(def.restart.mode)) {
      fail(`${where}.restart_policy.mode`, "must be no, always, on-failure or unless-stopped");
    }
    checkDefinition(def, `${where}.`);
    return def;
  });
}

/**
 * Creates the file's services that are missing and updates those that differ. Each is checked
 * as CreateService checks it: a secret or config it mounts must exist (FailedPrecondition, with
 * CreateService's message, before anything is written), and its version is pinned.
 */
export async function applyServiceFile(
  registry: ServiceRegistry,
  definitions: ServiceDefinition[],
  secrets: Pick<SecretStore, "find">,
): Promise<{ created: string[]; updated: string[] }> {
  const checked = definitions.map((fileDef) => {
    try {
      return withFileVersions(fileDef, secrets, registry.find(fileDef.name)?.definition);
    } catch (err) {
      if (!(err instanceof DockhandError)) throw err;
      throw new DockhandError(err.kind, `service file: services.${fileDef.name}: ${err.message}`, {
        cause: err,
        details: err.details,
      });
    }
  });
  const created: string[] = [];
  const updated: string[] = [];
  for (const def of checked) {
    const before = registry.find(def.name);
    const { service, created: isNew } = await registry.update(def, { expectedVersion: 0, allowMissing: true });
    if (isNew) created.push(def.name);
    else if (before && service.version !== before.version) updated.push(def.name);
  }
  return { created, updated };
}
