import { invalidArgument } from "../../model/dockhand-error.js";
import { quote } from "../../model/quote.js";
import { networkNamePattern, volumeNamePattern } from "../../model/workload-rules.js";
import { reservedLabelPrefix } from "../../model/definition-rules.js";
import { labelFilters } from "./container-request-rules.js";

const maxSelector = 16;
const maxAliases = 16;
const aliasPattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
/** An id (hex) or a name: what the engine takes where it wants a network. */
const networkRefPattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
const engineNetworks = new Set(["bridge", "host", "none"]);

export function checkVolumeName(name: string, field = "name"): string {
  if (name === "") throw invalidArgument(field, "is required");
  if (!volumeNamePattern.test(name)) {
    throw invalidArgument(field, `${quote(name)} is not a volume name (1-64 letters, digits, '_', '.' or '-', starting with a letter or digit)`);
  }
  return name;
}

export function checkNetworkName(name: string, field = "name"): string {
  if (name === "") throw invalidArgument(field, "is required");
  if (!networkNamePattern.test(name)) {
    throw invalidArgument(field, `${quote(name)} is not a network name (1-64 letters, digits, '_', '.' or '-', starting with a letter or digit)`);
  }
  if (engineNetworks.has(name)) throw invalidArgument(field, `${quote(name)} is one of the engine's own networks`);
  return name;
}

export function checkNetworkRef(ref: string, field = "network"): string {
  if (ref === "") throw invalidArgument(field, "is required");
  if (!networkRefPattern.test(ref)) throw invalidArgument(field, `${quote(ref)} is not a network id or name`);
  return ref;
}

export function selectorFilters(selector: readonly string[], field = "label_selector"): string[] {
  if (selector.length > maxSelector) throw invalidArgument(field, `at most ${maxSelector} entries (got ${selector.length})`);
  return labelFilters(selector, field);
}

export function checkResourceLabels(labels: Record<string, string>, field = "labels"): Record<string, string> {
  for (const [key, value] of Object.entries(labels)) {
    if (key === "") throw invalidArgument(field, "keys must not be empty");
    if (key.startsWith(reservedLabelPrefix)) throw invalidArgument(`${field}[${quote(key)}]`, `keys starting with "${reservedLabelPrefix}" are reserved for dockhand`);
    if (key.includes("\0") || value.includes("\0")) throw invalidArgument(`${field}[${quote(key)}]`, "must not contain NUL");
  }
  return { ...labels };
}

export function checkAliases(aliases: readonly string[], field = "aliases"): string[] {
  if (aliases.length > maxAliases) throw invalidArgument(field, `at most ${maxAliases} (got ${aliases.length})`);
  aliases.forEach((alias, i) => {
    if (!aliasPattern.test(alias)) throw invalidArgument(`${field}[${i}]`, `${quote(alias)} is not a DNS alias (1-63 letters, digits, '_', '.' or '-', starting with a letter or digit)`);
  });
  return [...aliases];
}
