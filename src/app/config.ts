import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { type Config, ConfigError, type Setting, settings } from "./settings.js";

export { ConfigError };
export type { Config };
export type { LogLevel } from "./settings.js";

type Key = keyof Config;
const keys = Object.keys(settings) as Key[];
const declared = settings as Record<Key, Setting<unknown>>;

/** All defaults, in one place: each setting's declaration. */
export const defaults: Readonly<Config> = Object.freeze(
  Object.fromEntries(keys.map((key) => [key, declared[key].default])) as Config,
);

export const defaultConfigFile = "dockhand.yml";

function flagUsage(key: Key): string {
  const { flag, flagArg } = declared[key];
  return flagArg ? `--${flag} ${flagArg}` : `--${flag}`;
}

function defaultText(key: Key): string {
  const setting = declared[key];
  if (setting.defaultDoc) return setting.defaultDoc;
  const value = setting.default;
  return Array.isArray(value) ? value.join(",") : String(value);
}

export const usage = `Usage: dockhand [options]

Flags override environment variables, which override the YAML file (--config FILE, default
${defaultConfigFile} if present; env DOCKHAND_CONFIG).

Options:
${keys
  .filter((key) => declared[key].flag)
  .map(
    (key) =>
      `  ${flagUsage(key).padEnd(24)} ${declared[key].doc} (default ${defaultText(key)}; env ${declared[key].env[0]})`,
  )
  .join("\n")}
  --help                   print this and exit

Settings with no flag, by environment variable (docs/configuration.md lists their YAML keys):
${keys
  .filter((key) => !declared[key].flag)
  .map((key) => `  ${declared[key].env[0].padEnd(36)} ${declared[key].doc} (default ${defaultText(key)})`)
  .join("\n")}

docs/configuration.md lists every setting with its YAML key.
`;

/** The settings table of docs/configuration.md, derived from the declarations (a test keeps them equal). */
export function settingsTable(): string {
  const code = (items: readonly string[]) => items.map((item) => `\`${item}\``).join(", then ");
  const rows = keys.map((key) => {
    const setting = declared[key];
    return `| ${setting.flag ? `\`${flagUsage(key)}\`` : ""} | ${code(setting.env)} | ${code(setting.yaml)} | \`${defaultText(key)}\` | ${setting.doc} |`;
  });
  return [
    "| flag | environment | YAML key | default | what |",
    "| --- | --- | --- | --- | --- |",
    "| `--config FILE` | `DOCKHAND_CONFIG` | | `dockhand.yml` (if present) | the YAML file |",
    ...rows,
  ].join("\n");
}

function lookup(doc: unknown, dotted: string): unknown {
  let node: unknown = doc;
  for (const part of dotted.split(".")) {
    if (!node || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

interface Found {
  value: string | number;
  where: string;
}

function fromYaml(file: string, text: string): Partial<Record<Key, Found>> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${file}: not valid YAML: ${(err as Error).message}`);
  }
  const found: Partial<Record<Key, Found>> = {};
  for (const key of keys) {
    for (const yamlKey of declared[key].yaml) {
      let value = lookup(doc, yamlKey);
      if (value === undefined || value === null) continue;
      // Booleans and lists arrive as their text, as from the environment: one parser for both.
      if (typeof value === "boolean") value = String(value);
      if (Array.isArray(value) && value.every((item) => typeof item === "string")) value = value.join(",");
      if (typeof value !== "string" && typeof value !== "number")
        throw new ConfigError(`config file ${file}: ${yamlKey} must be a string or number`);
      found[key] = { value, where: `${file}: ${yamlKey}` };
      break;
    }
  }
  return found;
}

function fromFlags(argv: string[]): { config?: string; help: boolean; found: Partial<Record<Key, Found>> } {
  const options: Record<string, { type: "string" | "boolean" }> = {
    config: { type: "string" },
    help: { type: "boolean" },
  };
  for (const key of keys) {
    const { flag, flagArg } = declared[key];
    if (flag) options[flag] = { type: flagArg ? "string" : "boolean" };
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options, strict: true }).values as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw new ConfigError(`command line: ${(err as Error).message}`);
  }
  const found: Partial<Record<Key, Found>> = {};
  for (const key of keys) {
    const { flag, flagSets } = declared[key];
    const value = flag ? values[flag] : undefined;
    if (value === undefined) continue;
    found[key] = { value: typeof value === "boolean" ? String(flagSets ?? true) : value, where: `--${flag}` };
  }
  return { config: values.config as string | undefined, help: values.help === true, found };
}

/** Merges the layers and checks every value; throws ConfigError naming the offending key. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): Config | "help" {
  const flags = fromFlags(argv);
  if (flags.help) return "help";
  const explicitFile = flags.config ?? env.DOCKHAND_CONFIG;
  const file = explicitFile ?? defaultConfigFile;
  let yaml: Partial<Record<Key, Found>> = {};
  if (existsSync(file)) yaml = fromYaml(file, readFileSync(file, "utf8"));
  else if (explicitFile) throw new ConfigError(`--config: file ${file} does not exist`);

  const pick = (key: Key): Found | undefined => {
    if (flags.found[key]) return flags.found[key];
    for (const name of declared[key].env) {
      const value = env[name];
      if (value !== undefined && value !== "") return { value, where: `environment ${name}` };
    }
    return yaml[key];
  };
  const config = Object.fromEntries(
    keys.map((key) => {
      const found = pick(key);
      return [key, found ? declared[key].parse(found.value, found.where) : declared[key].default];
    }),
  ) as Config;
  return config;
}
