import type { PortProtocol } from "../../engine/types.js";
import { invalidArgument } from "../../model/dockhand-error.js";
import { checkDefinition } from "../../model/definition-rules.js";
import { definitionWithDefaults, type ServiceDefinition } from "../../model/service-definition.js";
import { joinShellWords, splitShellWords } from "./shell-words.js";
import type { GenisysEmptyForms } from "./genisys-empty-forms.js";

/** A definition as the genisys connector's REST API and service file shape it. */
export interface GenisysDefinition {
  name: string;
  image: string;
  command: string | null;
  environment: Record<string, string> | null;
  ports: string[] | null;
}

function isAbsent(value: unknown): boolean {
  return value === undefined || value === null;
}

function commandOf(value: unknown): string[] {
  if (isAbsent(value)) return [];
  // docker-py took a list as well as a string.
  if (Array.isArray(value) && value.every((v) => typeof v === "string")) return value;
  if (typeof value !== "string") throw invalidArgument("command", "must be a string");
  const words = splitShellWords(value);
  if (typeof words === "string") throw invalidArgument("command", words);
  return words;
}

function environmentOf(value: unknown): Record<string, string> {
  if (isAbsent(value)) return {};
  if (typeof value !== "object" || Array.isArray(value))
    throw invalidArgument("environment", "must be an object of names to values");
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, v]) => {
      // As the seed passed them on: Python's str() of a number or a boolean.
      if (typeof v === "string") return [key, v];
      if (typeof v === "number" && Number.isFinite(v)) return [key, String(v)];
      if (typeof v === "boolean") return [key, v ? "True" : "False"];
      throw invalidArgument(`environment["${key.slice(0, 40)}"]`, "must be a string, a number or a boolean");
    }),
  );
}

const portPattern = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/i;

function portsOf(value: unknown): Array<{ containerPort: number; protocol: PortProtocol }> {
  if (isAbsent(value)) return [];
  if (!Array.isArray(value))
    throw invalidArgument("ports", 'must be a list of port strings such as "8080" or "53/udp"');
  return value.map((entry, i) => {
    const match =
      typeof entry === "string" || typeof entry === "number" ? portPattern.exec(String(entry).trim()) : null;
    if (!match) throw invalidArgument(`ports[${i}]`, 'must be a port string such as "8080" or "53/udp"');
    return { containerPort: Number(match[1]), protocol: (match[2] ?? "tcp").toLowerCase() as PortProtocol };
  });
}

export interface FromGenisysOptions {
  /** The stored definition it replaces: what genisys cannot say (labels, init, limits ...) is kept. */
  current?: ServiceDefinition;
  /** Host address each port is published on, on a free host port. */
  publishHostIp: string;
}

/**
 * A genisys definition (`image` required; `command`, `environment`, `ports` optional or null)
 * as dockhand's, checked by the same rules as the typed API's. Throws InvalidArgument.
 */
export function definitionFromGenisys(
  name: string,
  body: Record<string, unknown>,
  options: FromGenisysOptions,
): ServiceDefinition {
  if (typeof body.image !== "string") throw invalidArgument("image", "must be a string");
  const kept = options.current;
  const ports = portsOf(body.ports).map((port) => {
    // A port published before keeps its binding, so that a GET then PUT changes nothing.
    const before = kept?.ports.find((p) => p.containerPort === port.containerPort && p.protocol === port.protocol);
    return before ?? { ...port, hostPort: 0, hostIp: options.publishHostIp };
  });
  const def = definitionWithDefaults({
    // New services get docker-init as PID 1, so the SIGTERM of a graceful stop is heard.
    init: true,
    ...kept,
    name,
    image: body.image,
    command: commandOf(body.command),
    environment: environmentOf(body.environment),
    ports,
  });
  checkDefinition(def);
  return def;
}

/**
 * A definition as genisys shows it. An empty key is `null`, unless the client stored it empty
 * (`empty`: `""`, `{}` or `[]`), which it gets back as it was stored.
 */
export function definitionToGenisys(def: ServiceDefinition, empty: GenisysEmptyForms = {}): GenisysDefinition {
  const env = Object.keys(def.environment).length > 0 ? { ...def.environment } : (empty.environment ?? null);
  return {
    name: def.name,
    image: def.image,
    command: def.command.length > 0 ? joinShellWords(def.command) : (empty.command ?? null),
    environment: env,
    ports:
      def.ports.length > 0
        ? def.ports.map((p) => (p.protocol === "tcp" ? String(p.containerPort) : `${p.containerPort}/${p.protocol}`))
        : (empty.ports ?? null),
  };
}
