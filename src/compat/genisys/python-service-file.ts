import { readFile } from "node:fs/promises";
import { DockhandError, isDockhandError } from "../../model/dockhand-error.js";
import type { ServiceDefinition } from "../../model/service-definition.js";
import { definitionFromGenisys } from "./genisys-definition.js";
import { PyLiteralError, readPythonAssignments } from "./python-literals.js";

const knownKeys = new Set(["name", "image", "command", "environment", "ports"]);

/**
 * The genisys connector's `services.py`, read without executing it: each top-level
 * `NAME = {...}` dict literal is a definition keyed by the variable name, as in the seed.
 * Anything else is refused with its line number (InvalidArgument).
 */
export function parsePythonServiceFile(text: string, where: string, publishHostIp = "127.0.0.1"): ServiceDefinition[] {
  const fail = (line: number, message: string): never => {
    throw new DockhandError("InvalidArgument", `${where} line ${line}: ${message}`);
  };
  let assignments;
  try {
    assignments = readPythonAssignments(text);
  } catch (err) {
    if (err instanceof PyLiteralError) fail(err.line, err.message.replace(/^line \d+: /, ""));
    throw err;
  }
  const seen = new Set<string>();
  return assignments.map(({ name, line, value }) => {
    if (!value || typeof value !== "object" || Array.isArray(value)) fail(line, `${name} must be a dict literal {...}`);
    if (seen.has(name)) fail(line, `${name} is defined twice`);
    seen.add(name);
    const dict = value as Record<string, unknown>;
    for (const key of Object.keys(dict))
      if (!knownKeys.has(key)) fail(line, `${name}: "${key}" is not one of ${[...knownKeys].join(", ")}`);
    try {
      return definitionFromGenisys(name, dict, { publishHostIp });
    } catch (err) {
      if (isDockhandError(err, "InvalidArgument")) fail(line, `${name}: ${err.message}`);
      throw err;
    }
  });
}

export async function readPythonServiceFile(path: string, publishHostIp?: string): Promise<ServiceDefinition[]> {
  return parsePythonServiceFile(await readFile(path, "utf8"), path, publishHostIp);
}
