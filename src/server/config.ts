import { existsSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { normalizeCapability } from "../services/linux-names.js";

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";

/** Everything dockhand can be configured with. */
export interface Config {
  /** Address to listen on. */
  bind: string;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Docker engine URL: unix:///path, tcp://host:port, http(s)://host:port. */
  dockerUrl: string;
  /** Folder with ca.pem/cert.pem/key.pem for a TLS engine URL; empty for none. */
  dockerCertPath: string;
  /** Where definitions and desired counts are stored. */
  dataDir: string;
  /** YAML file of service definitions loaded at start-up; empty for none. */
  serviceFile: string;
  logLevel: LogLevel;
  /** Largest replica count a Scale may ask for. */
  maxReplicas: number;
  /** Most containers created/started/stopped/removed at once per service. */
  scaleConcurrency: number;
  /** How long a shutdown waits for in-flight calls, in ms. */
  shutdownGraceMs: number;
  /** Time between full resyncs of every service with the engine, in ms. */
  resyncIntervalMs: number;
  /** How long a container with dockhand's labels but no definition is left before removal, in ms. */
  orphanGraceMs: number;
  /** Let CreateContainer make privileged containers. */
  allowPrivileged: boolean;
  /** Let CreateContainer bind-mount host paths. */
  allowHostMounts: boolean;
  /** Let CreateContainer share the host's network stack. */
  allowHostNetwork: boolean;
  /** Capabilities CreateContainer may add (without `CAP_`); `ALL` allows any. */
  allowedCapabilities: readonly string[];
  /** Largest image archive LoadImage downloads from a URL, in bytes (compressed and unpacked). */
  loadMaxBytes: number;
  /** Largest image archive LoadImage accepts inline in the request, in bytes. */
  loadInlineMaxBytes: number;
  /** How long LoadImage may take to download an archive from a URL, in ms. */
  loadTimeoutMs: number;
  /**
   * How long a ListContainers waits for the container cache to apply events the engine has
   * already logged before it asks the engine's list instead, in ms; 0 turns the cache off.
   */
  listCacheWaitMs: number;
}

/** All defaults, in one place. */
export const defaults: Readonly<Config> = Object.freeze({
  bind: "127.0.0.1",
  port: 7051,
  dockerUrl: "unix:///var/run/docker.sock",
  dockerCertPath: "",
  dataDir: "./data",
  serviceFile: "",
  logLevel: "info",
  maxReplicas: 100,
  scaleConcurrency: 8,
  shutdownGraceMs: 8000,
  resyncIntervalMs: 30_000,
  orphanGraceMs: 60_000,
  allowPrivileged: false,
  allowHostMounts: false,
  allowHostNetwork: false,
  allowedCapabilities: Object.freeze([]),
  loadMaxBytes: 2 * 1024 ** 3,
  loadInlineMaxBytes: 16 * 1024 ** 2,
  loadTimeoutMs: 300_000,
  listCacheWaitMs: 100,
});

export const defaultConfigFile = "dockhand.yml";

/** A bad configuration value; the message names the key. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

type Source = Partial<Record<keyof Config, string | number | undefined>>;

/** YAML keys (dotted paths) for each setting; the seed connector's keys come first. */
const yamlKeys: Record<keyof Config, string[]> = {
  bind: ["connector.bind", "dockhand.bind"],
  port: ["connector.port", "dockhand.port"],
  dockerUrl: ["docker.url"],
  dockerCertPath: ["docker.cert_path"],
  dataDir: ["dockhand.data_dir"],
  serviceFile: ["connector.service_file", "dockhand.service_file"],
  logLevel: ["dockhand.log_level"],
  maxReplicas: ["dockhand.max_replicas"],
  scaleConcurrency: ["dockhand.scale_concurrency"],
  shutdownGraceMs: ["dockhand.shutdown_grace_ms"],
  resyncIntervalMs: ["dockhand.resync_interval_ms"],
  orphanGraceMs: ["dockhand.orphan_grace_ms"],
  allowPrivileged: ["dockhand.allow_privileged"],
  allowHostMounts: ["dockhand.allow_host_mounts"],
  allowHostNetwork: ["dockhand.allow_host_network"],
  allowedCapabilities: ["dockhand.allowed_capabilities"],
  loadMaxBytes: ["dockhand.load_max_bytes"],
  loadInlineMaxBytes: ["dockhand.load_inline_max_bytes"],
  loadTimeoutMs: ["dockhand.load_timeout_ms"],
  listCacheWaitMs: ["dockhand.list_cache_wait_ms"],
};

const envKeys: Record<keyof Config, string[]> = {
  bind: ["DOCKHAND_BIND"],
  port: ["DOCKHAND_PORT"],
  dockerUrl: ["DOCKHAND_DOCKER_URL", "DOCKER_HOST"],
  dockerCertPath: ["DOCKHAND_DOCKER_CERT_PATH", "DOCKER_CERT_PATH"],
  dataDir: ["DOCKHAND_DATA_DIR"],
  serviceFile: ["DOCKHAND_SERVICE_FILE"],
  logLevel: ["DOCKHAND_LOG_LEVEL"],
  maxReplicas: ["DOCKHAND_MAX_REPLICAS"],
  scaleConcurrency: ["DOCKHAND_SCALE_CONCURRENCY"],
  shutdownGraceMs: ["DOCKHAND_SHUTDOWN_GRACE_MS"],
  resyncIntervalMs: ["DOCKHAND_RESYNC_INTERVAL_MS"],
  orphanGraceMs: ["DOCKHAND_ORPHAN_GRACE_MS"],
  allowPrivileged: ["DOCKHAND_ALLOW_PRIVILEGED"],
  allowHostMounts: ["DOCKHAND_ALLOW_HOST_MOUNTS"],
  allowHostNetwork: ["DOCKHAND_ALLOW_HOST_NETWORK"],
  allowedCapabilities: ["DOCKHAND_ALLOWED_CAPABILITIES"],
  loadMaxBytes: ["DOCKHAND_LOAD_MAX_BYTES"],
  loadInlineMaxBytes: ["DOCKHAND_LOAD_INLINE_MAX_BYTES"],
  loadTimeoutMs: ["DOCKHAND_LOAD_TIMEOUT_MS"],
  listCacheWaitMs: ["DOCKHAND_LIST_CACHE_WAIT_MS"],
};

export const usage = `Usage: dockhand [options]

Options (they override environment variables, which override the YAML file):
  --config FILE        YAML config file (default ${defaultConfigFile}, if present; env DOCKHAND_CONFIG)
  --bind ADDR          address to listen on (default ${defaults.bind}; env DOCKHAND_BIND)
  --port N             port to listen on (default ${defaults.port}; env DOCKHAND_PORT)
  --docker-url URL     Docker engine URL (default ${defaults.dockerUrl}; env DOCKER_HOST)
  --data-dir DIR       where definitions are stored (default ${defaults.dataDir}; env DOCKHAND_DATA_DIR)
  --service-file FILE  YAML service definitions loaded at start-up (env DOCKHAND_SERVICE_FILE)
  --log-level LEVEL    trace, debug, info, warn, error, fatal or silent (default ${defaults.logLevel})
  --help               print this and exit

Containers with power over the host are refused unless allowed (environment or YAML only):
  DOCKHAND_ALLOW_PRIVILEGED, DOCKHAND_ALLOW_HOST_MOUNTS, DOCKHAND_ALLOW_HOST_NETWORK  true or false
  (default false; YAML dockhand.allow_privileged ...), DOCKHAND_ALLOWED_CAPABILITIES  comma-separated
  names such as NET_ADMIN, or ALL (default none; YAML dockhand.allowed_capabilities)

More settings, by environment or YAML (README.md, Configuration, lists them all):
  DOCKHAND_MAX_REPLICAS (${defaults.maxReplicas}), DOCKHAND_SCALE_CONCURRENCY (${defaults.scaleConcurrency}),
  DOCKHAND_SHUTDOWN_GRACE_MS (${defaults.shutdownGraceMs}), DOCKHAND_RESYNC_INTERVAL_MS (${defaults.resyncIntervalMs}),
  DOCKHAND_ORPHAN_GRACE_MS (${defaults.orphanGraceMs}), DOCKHAND_LOAD_MAX_BYTES, DOCKHAND_LOAD_INLINE_MAX_BYTES,
  DOCKHAND_LOAD_TIMEOUT_MS, DOCKHAND_LIST_CACHE_WAIT_MS (${defaults.listCacheWaitMs}; 0 turns the list cache off)
`;

function lookup(doc: unknown, dotted: string): unknown {
  let node: unknown = doc;
  for (const part of dotted.split(".")) {
    if (!node || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

function fromYaml(file: string, text: string): Source & Record<string, string | number | undefined> {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`config file ${file}: not valid YAML: ${(err as Error).message}`);
  }
  const source: Record<string, string | number | undefined> = {};
  for (const [setting, keys] of Object.entries(yamlKeys)) {
    for (const key of keys) {
      let value = lookup(doc, key);
      if (value === undefined || value === null) continue;
      // Booleans and lists arrive as their text, as from the environment: one parser for both.
      if (typeof value === "boolean") value = String(value);
      if (Array.isArray(value) && value.every((item) => typeof item === "string")) value = value.join(",");
      if (typeof value !== "string" && typeof value !== "number") {
        throw new ConfigError(`config file ${file}: ${key} must be a string or number`);
      }
      source[setting] = value;
      source[`${setting}:key`] = `${file}: ${key}`;
      break;
    }
  }
  return source;
}

function integer(raw: string | number, key: string, min: number, max: number): number {
  const value = typeof raw === "number" ? raw : /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${key}: must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

const truthy = new Set(["true", "yes", "on", "1"]);
const falsy = new Set(["false", "no", "off", "0"]);

function boolean(raw: string | number, key: string): boolean {
  const text = String(raw).trim().toLowerCase();
  if (truthy.has(text)) return true;
  if (falsy.has(text)) return false;
  throw new ConfigError(`${key}: must be true or false (got "${raw}")`);
}

/** Comma- or space-separated capability names, with or without `CAP_`, or `ALL`. */
function capabilityList(raw: string, key: string): string[] {
  return raw
    .split(/[\s,]+/)
    .filter((name) => name !== "")
    .map((name) => {
      const capability = normalizeCapability(name);
      if (!capability) throw new ConfigError(`${key}: "${name}" is not a Linux capability`);
      return capability;
    });
}

const logLevels = new Set(["trace", "debug", "info", "warn", "error", "fatal", "silent"]);

/** Merges the layers and checks every value; throws ConfigError naming the offending key. */
export function loadConfig(argv: string[], env: NodeJS.ProcessEnv): Config | "help" {
  let flags;
  try {
    flags = parseArgs({
      args: argv,
      options: {
        config: { type: "string" },
        bind: { type: "string" },
        port: { type: "string" },
        "docker-url": { type: "string" },
        "data-dir": { type: "string" },
        "service-file": { type: "string" },
        "log-level": { type: "string" },
        help: { type: "boolean" },
      },
      strict: true,
    }).values;
  } catch (err) {
    throw new ConfigError(`command line: ${(err as Error).message}`);
  }
  if (flags.help) return "help";

  const explicitFile = flags.config ?? env.DOCKHAND_CONFIG;
  const file = explicitFile ?? defaultConfigFile;
  let yaml: Record<string, string | number | undefined> = {};
  if (existsSync(file)) yaml = fromYaml(file, readFileSync(file, "utf8"));
  else if (explicitFile) throw new ConfigError(`--config: file ${file} does not exist`);

  const cli: Source = {
    bind: flags.bind,
    port: flags.port,
    dockerUrl: flags["docker-url"],
    dataDir: flags["data-dir"],
    serviceFile: flags["service-file"],
    logLevel: flags["log-level"],
  };
  const flagNames: Partial<Record<keyof Config, string>> = {
    dockerUrl: "--docker-url",
    dataDir: "--data-dir",
    serviceFile: "--service-file",
    logLevel: "--log-level",
  };

  const pick = (setting: keyof Config): { value: string | number; key: string } | undefined => {
    const flag = cli[setting];
    if (flag !== undefined) return { value: flag, key: flagNames[setting] ?? `--${setting}` };
    for (const name of envKeys[setting]) {
      const value = env[name];
      if (value !== undefined && value !== "") return { value, key: `environment ${name}` };
    }
    const fromFile = yaml[setting];
    if (fromFile !== undefined) return { value: fromFile, key: String(yaml[`${setting}:key`]) };
    return undefined;
  };
  const str = (setting: keyof Config, fallback: string) => String(pick(setting)?.value ?? fallback);
  const int = (setting: keyof Config, fallback: number, min: number, max: number) => {
    const found = pick(setting);
    return found ? integer(found.value, found.key, min, max) : fallback;
  };
  const bool = (setting: keyof Config, fallback: boolean) => {
    const found = pick(setting);
    return found ? boolean(found.value, found.key) : fallback;
  };
  const capabilities = (setting: keyof Config, fallback: readonly string[]) => {
    const found = pick(setting);
    return found ? capabilityList(String(found.value), found.key) : fallback;
  };

  const config: Config = {
    bind: str("bind", defaults.bind),
    port: int("port", defaults.port, 0, 65535),
    dockerUrl: str("dockerUrl", defaults.dockerUrl),
    dockerCertPath: str("dockerCertPath", defaults.dockerCertPath),
    dataDir: str("dataDir", defaults.dataDir),
    serviceFile: str("serviceFile", defaults.serviceFile),
    logLevel: str("logLevel", defaults.logLevel) as LogLevel,
    maxReplicas: int("maxReplicas", defaults.maxReplicas, 1, 10000),
    scaleConcurrency: int("scaleConcurrency", defaults.scaleConcurrency, 1, 64),
    shutdownGraceMs: int("shutdownGraceMs", defaults.shutdownGraceMs, 0, 600000),
    resyncIntervalMs: int("resyncIntervalMs", defaults.resyncIntervalMs, 100, 3_600_000),
    orphanGraceMs: int("orphanGraceMs", defaults.orphanGraceMs, 0, 86_400_000),
    allowPrivileged: bool("allowPrivileged", defaults.allowPrivileged),
    allowHostMounts: bool("allowHostMounts", defaults.allowHostMounts),
    allowHostNetwork: bool("allowHostNetwork", defaults.allowHostNetwork),
    allowedCapabilities: capabilities("allowedCapabilities", defaults.allowedCapabilities),
    loadMaxBytes: int("loadMaxBytes", defaults.loadMaxBytes, 1, Number.MAX_SAFE_INTEGER),
    loadInlineMaxBytes: int("loadInlineMaxBytes", defaults.loadInlineMaxBytes, 0, 1024 ** 3),
    loadTimeoutMs: int("loadTimeoutMs", defaults.loadTimeoutMs, 1, 24 * 3600 * 1000),
    listCacheWaitMs: int("listCacheWaitMs", defaults.listCacheWaitMs, 0, 60_000),
  };
  if (isIP(config.bind) === 0 && config.bind !== "localhost") {
    throw new ConfigError(`${pick("bind")?.key ?? "bind"}: "${config.bind}" is not an IP address`);
  }
  if (!logLevels.has(config.logLevel)) {
    throw new ConfigError(`${pick("logLevel")?.key ?? "log level"}: "${config.logLevel}" is not one of ${[...logLevels].join(", ")}`);
  }
  if (!/^(unix|tcp|http|https):\/\//.test(config.dockerUrl)) {
    throw new ConfigError(`${pick("dockerUrl")?.key ?? "docker url"}: "${config.dockerUrl}" must start with unix://, tcp://, http:// or https://`);
  }
  if (config.dataDir === "") throw new ConfigError(`${pick("dataDir")?.key ?? "data dir"}: must not be empty`);
  return config;
}
