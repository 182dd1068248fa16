/**
 * Nothing lost: the state file (data directory's state.json) holds, for each scaled service,
 * a replica count the clients last set, and for each rolled service the generation last set.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Intents } from "./intents.js";

interface StateDocument {
  services: Record<string, { replicas: number; definition: { environment?: Record<string, string> } }>;
}

export function checkStateFile(
  dataDir: string,
  scaled: readonly string[],
  rolled: readonly string[],
  intents: Intents,
): string[] {
  const state = JSON.parse(readFileSync(join(dataDir, "state.json"), "utf8")) as StateDocument;
  const problems: string[] = [];
  for (const name of scaled) {
    const stored = state.services[name];
    const wanted = [...intents.acceptable(name)];
    if (!stored) problems.push(`${name}: not in the state file`);
    else if (!wanted.includes(String(stored.replicas)))
      problems.push(`${name}: ${stored.replicas} replicas stored, clients last set ${wanted.join(" or ")}`);
  }
  for (const name of rolled) {
    const stored = state.services[name]?.definition.environment?.SOAK_GEN;
    const wanted = [...intents.acceptable(name)];
    if (stored === undefined || !wanted.includes(stored))
      problems.push(`${name}: generation ${stored} stored, clients last set ${wanted.join(" or ")}`);
  }
  return problems;
}
