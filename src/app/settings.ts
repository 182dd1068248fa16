import { isIP } from "node:net";
import { normalizeCapability } from "../model/linux-names.js";
import { parseAllowedHosts } from "../rpc/container-agent/load-url-policy.js";

/** A bad configuration value; the message names the key it came from. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Turns a raw value (text from a flag or the environment, or a YAML scalar) into the setting's value. */
export type Parser<T> = (raw: string | number, where: string) => T;

/** One setting, declared once: everything else (the Config type, --help, the README table) is derived. */
export interface Setting<T> {
  /** Its flag without the dashes; a boolean flag sets true, or false when `flagSets` says so. */
  flag?: string;
  /** The value a boolean flag sets (false for `--no-x` flags). Default true. */
  flagSets?: boolean;
  /** The flag's argument name in --help (`FILE`, `N`); none for a boolean flag. */
  flagArg?: string;
  /** Environment variables, the first one set wins. */
  env: readonly string[];
  /** Dotted YAML keys, the first one present wins (the seed connector's keys come first). */
  yaml: readonly string[];
  default: T;
  parse: Parser<T>;
  /** One line for --help and the README. */
  doc: string;
  /** How the default reads in the README when not its plain value. */
  defaultDoc?: string;
}

function setting<T>(declaration: Setting<T>): Setting<T> {
  return declaration;
}

const text: Parser<string> = (raw) => String(raw);

function integer(min: number, max: number): Parser<number> {
  return (raw, where) => {
    const value = typeof raw === "number" ? raw : /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(`${where}: must be a whole number from ${min} to ${max} (got "${raw}")`);
    }
    return value;
  };
}

const truthy = new Set(["true", "yes", "on", "1"]);
const falsy = new Set(["false", "no", "off", "0"]);

const boolean: Parser<boolean> = (raw, where) => {
  const value = String(raw).trim().toLowerCase();
  if (truthy.has(value)) return true;
  if (falsy.has(value)) return false;
  throw new ConfigError(`${where}: must be true or false (got "${raw}")`);
};

function oneOf<T extends string>(choices: readonly T[]): Parser<T> {
  return (raw, where) => {
    const value = String(raw).trim();
    if (!(choices as readonly string[]).includes(value))
      throw new ConfigError(`${where}: "${value}" is not one of ${choices.join(", ")}`);
    return value as T;
  };
}

/** Comma- or space-separated items, each checked by `item`. */
function list(item: (value: string, where: string) => string): Parser<readonly string[]> {
  return (raw, where) =>
    String(raw)
      .split(/[\s,]+/)
      .filter((value) => value !== "")
      .map((value) => item(value, where));
}

const ipAddress: Parser<string> = (raw, where) => {
  const value = String(raw).trim();
  if (isIP(value) === 0 && value !== "localhost") throw new ConfigError(`${where}: "${value}" is not an IP address`);
  return value;
};

const engineUrl: Parser<string> = (raw, where) => {
  const value = String(raw).trim();
  if (!/^(unix|tcp|http|https):\/\//.test(value))
    throw new ConfigError(`${where}: "${value}" must start with unix://, tcp://, http:// or https://`);
  return value;
};

const nonEmpty: Parser<string> = (raw, where) => {
  const value = String(raw);
  if (value === "") throw new ConfigError(`${where}: must not be empty`);
  return value;
};

const capability = (name: string, where: string): string => {
  const normalized = normalizeCapability(name);
  if (!normalized) throw new ConfigError(`${where}: "${name}" is not a Linux capability`);
  return normalized;
};

const allowedHost = (value: string, where: string): string => {
  try {
    parseAllowedHosts([value]);
  } catch (err) {
    throw new ConfigError(`${where}: ${(err as Error).message}`);
  }
  return value;
};

/** `HOST[:PORT]`: a host name or IP address (IPv6 in brackets) and an optional port. */
const hostPort: Parser<string> = (raw, where) => {
  const value = String(raw).trim();
  let url: URL | undefined;
  try {
    url = new URL(`http://${value}/`);
  } catch {
    url = undefined;
  }
  if (!url || value === "" || url.host !== value.toLowerCase() || url.username || url.password) {
    throw new ConfigError(`${where}: "${value}" is not HOST or HOST:PORT`);
  }
  return value;
};

/** `*`, or an origin as browsers send it: scheme://host[:port], with no path. */
const origin = (value: string, where: string): string => {
  if (value === "*") return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${where}: "${value}" is not an origin such as https://dash.example.com`);
  }
  if (url.origin === "null" || url.origin !== value.replace(/\/$/, "")) {
    throw new ConfigError(
      `${where}: "${value}" is not an origin (scheme://host[:port], no path), such as ${url.origin}`,
    );
  }
  return url.origin;
};

export const logLevels = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof logLevels)[number];

const MiB = 1024 ** 2;

/** Every setting dockhand has, in the order --help and the README list them. */
export const settings = {
  bind: setting({
    flag: "bind",
    flagArg: "ADDR",
    env: ["DOCKHAND_BIND"],
    yaml: ["connector.bind", "dockhand.bind"],
    default: "127.0.0.1",
    parse: ipAddress,
    doc: "address to listen on",
  }),
  port: setting({
    flag: "port",
    flagArg: "N",
    env: ["DOCKHAND_PORT"],
    yaml: ["connector.port", "dockhand.port"],
    default: 7051,
    parse: integer(0, 65535),
    doc: "port to listen on; 0 picks a free one",
  }),
  dockerUrl: setting({
    flag: "docker-url",
    flagArg: "URL",
    env: ["DOCKHAND_DOCKER_URL", "DOCKER_HOST"],
    yaml: ["docker.url"],
    default: "unix:///var/run/docker.sock",
    parse: engineUrl,
    doc: "Docker engine URL: unix:///path, tcp://host:port, http(s)://host:port",
  }),
  dockerCertPath: setting({
    env: ["DOCKHAND_DOCKER_CERT_PATH", "DOCKER_CERT_PATH"],
    yaml: ["docker.cert_path"],
    default: "",
    parse: text,
    doc: "folder with ca.pem, cert.pem and key.pem for a TLS engine URL",
    defaultDoc: "none",
  }),
  engineCallTimeoutMs: setting({
    env: ["DOCKHAND_ENGINE_CALL_TIMEOUT_MS"],
    yaml: ["docker.call_timeout_ms"],
    default: 30_000,
    parse: integer(100, 3_600_000),
    doc: "ms an engine call made without a deadline of its own (the orchestrator's; an RPC's calls end with the RPC) may take before it fails; stop and restart add their grace period; streams, waits and image transfers have none",
  }),
  orchestrator: setting<"local" | "swarm">({
    flag: "orchestrator",
    flagArg: "KIND",
    env: ["DOCKHAND_ORCHESTRATOR"],
    yaml: ["dockhand.orchestrator"],
    default: "local",
    parse: oneOf(["local", "swarm"] as const),
    doc: "what runs the services: local (dockhand keeps the count on its one engine) or swarm (each service a Docker Swarm service; the engine URL must be a swarm manager)",
  }),
  dataDir: setting({
    flag: "data-dir",
    flagArg: "DIR",
    env: ["DOCKHAND_DATA_DIR"],
    yaml: ["dockhand.data_dir"],
    default: "./data",
    parse: nonEmpty,
    doc: "where definitions and desired counts are stored",
  }),
  serviceFile: setting({
    flag: "service-file",
    flagArg: "FILE",
    env: ["DOCKHAND_SERVICE_FILE"],
    yaml: ["connector.service_file", "dockhand.service_file"],
    default: "",
    parse: text,
    doc: "YAML file of service definitions applied at start-up (a genisys services.py, ending in .py, is read as literals, never run)",
    defaultDoc: "none",
  }),
  logLevel: setting<LogLevel>({
    flag: "log-level",
    flagArg: "LEVEL",
    env: ["DOCKHAND_LOG_LEVEL"],
    yaml: ["dockhand.log_level"],
    default: "info",
    parse: oneOf(logLevels),
    doc: `log level: ${logLevels.join(", ")}`,
  }),
  maxReplicas: setting({
    env: ["DOCKHAND_MAX_REPLICAS"],
    yaml: ["dockhand.max_replicas"],
    default: 100,
    parse: integer(1, 10000),
    doc: "largest replica count a Scale may ask for",
  }),
  prometheusUrl: setting({
    env: ["DOCKHAND_PROMETHEUS_URL"],
    yaml: ["dockhand.prometheus_url"],
    default: "",
    parse: (raw, where) => {
      const value = String(raw).trim();
      if (value !== "" && !/^https?:\/\/[^\s/]+/.test(value))
        throw new ConfigError(`${where}: must be an http:// or https:// URL (got "${value}")`);
      return value.replace(/\/+$/, "");
    },
    doc: "Prometheus server that autoscaling policies with a PromQL query ask (its /api/v1/query)",
    defaultDoc: "none",
  }),
  scaleConcurrency: setting({
    env: ["DOCKHAND_SCALE_CONCURRENCY"],
    yaml: ["dockhand.scale_concurrency"],
    default: 8,
    parse: integer(1, 64),
    doc: "containers created, started, stopped or removed at once per service",
  }),
  shutdownGraceMs: setting({
    env: ["DOCKHAND_SHUTDOWN_GRACE_MS"],
    yaml: ["dockhand.shutdown_grace_ms"],
    default: 8000,
    parse: integer(0, 600_000),
    doc: "ms a shutdown waits for in-flight calls",
  }),
  resyncIntervalMs: setting({
    env: ["DOCKHAND_RESYNC_INTERVAL_MS"],
    yaml: ["dockhand.resync_interval_ms"],
    default: 30_000,
    parse: integer(100, 3_600_000),
    doc: "ms between full resyncs of every service with the engine",
  }),
  orphanGraceMs: setting({
    env: ["DOCKHAND_ORPHAN_GRACE_MS"],
    yaml: ["dockhand.orphan_grace_ms"],
    default: 60_000,
    parse: integer(0, 86_400_000),
    doc: "ms before a container with dockhand's labels but no definition (an orphan) is removed",
  }),
  secretsKeyFile: setting({
    env: ["DOCKHAND_SECRETS_KEY_FILE"],
    yaml: ["dockhand.secrets_key_file"],
    default: "",
    parse: text,
    doc: "file with the 32-byte key that encrypts secrets and configs at rest; created (mode 0600) when missing",
    defaultDoc: "<data dir>/secrets.key",
  }),
  allowPrivileged: setting({
    env: ["DOCKHAND_ALLOW_PRIVILEGED"],
    yaml: ["dockhand.allow_privileged"],
    default: false,
    parse: boolean,
    doc: "let CreateContainer make privileged containers",
  }),
  allowHostMounts: setting({
    env: ["DOCKHAND_ALLOW_HOST_MOUNTS"],
    yaml: ["dockhand.allow_host_mounts"],
    default: false,
    parse: boolean,
    doc: "let CreateContainer bind-mount host paths",
  }),
  allowHostNetwork: setting({
    env: ["DOCKHAND_ALLOW_HOST_NETWORK"],
    yaml: ["dockhand.allow_host_network"],
    default: false,
    parse: boolean,
    doc: "let CreateContainer share the host's network stack",
  }),
  allowedCapabilities: setting<readonly string[]>({
    env: ["DOCKHAND_ALLOWED_CAPABILITIES"],
    yaml: ["dockhand.allowed_capabilities"],
    default: Object.freeze([]),
    parse: list(capability),
    doc: "capabilities CreateContainer may add, such as NET_ADMIN,SYS_TIME (a YAML list works too), or ALL",
    defaultDoc: "none",
  }),
  loadMaxBytes: setting({
    env: ["DOCKHAND_LOAD_MAX_BYTES"],
    yaml: ["dockhand.load_max_bytes"],
    default: 2 * 1024 ** 3,
    parse: integer(1, Number.MAX_SAFE_INTEGER),
    doc: "largest archive LoadImage downloads from a URL, compressed and unpacked, in bytes",
  }),
  loadInlineMaxBytes: setting({
    env: ["DOCKHAND_LOAD_INLINE_MAX_BYTES"],
    yaml: ["dockhand.load_inline_max_bytes"],
    default: 16 * MiB,
    parse: integer(0, 1024 ** 3),
    doc: "largest archive LoadImage takes inline in the request, in bytes",
  }),
  copyMaxBytes: setting({
    env: ["DOCKHAND_COPY_MAX_BYTES"],
    yaml: ["dockhand.copy_max_bytes"],
    default: 2 * 1024 ** 3,
    parse: integer(1, Number.MAX_SAFE_INTEGER),
    doc: "largest content CopyToContainer and CopyToContainerStream write, in bytes (file content summed over a tar)",
  }),
  copyMaxEntries: setting({
    env: ["DOCKHAND_COPY_MAX_ENTRIES"],
    yaml: ["dockhand.copy_max_entries"],
    default: 100_000,
    parse: integer(1, 10_000_000),
    doc: "most entries (files, directories, links) one copy into a container may hold",
  }),
  loadTimeoutMs: setting({
    env: ["DOCKHAND_LOAD_TIMEOUT_MS"],
    yaml: ["dockhand.load_timeout_ms"],
    default: 300_000,
    parse: integer(1, 24 * 3600 * 1000),
    doc: "ms a LoadImage download may take",
  }),
  loadAllowedHosts: setting<readonly string[]>({
    env: ["DOCKHAND_LOAD_ALLOWED_HOSTS"],
    yaml: ["dockhand.load_allowed_hosts"],
    default: Object.freeze([]),
    parse: list(allowedHost),
    doc: "hosts, IP addresses or CIDRs LoadImage downloads may reach, comma-separated (a YAML list works too); link-local and cloud-metadata addresses are refused whatever it says",
    defaultDoc: "none (any host)",
  }),
  listCacheWaitMs: setting({
    env: ["DOCKHAND_LIST_CACHE_WAIT_MS"],
    yaml: ["dockhand.list_cache_wait_ms"],
    default: 100,
    parse: integer(0, 60_000),
    doc: "ms a ListContainers waits for the container cache to catch up before it asks the engine; 0 turns the cache off",
  }),

  tlsCert: setting({
    flag: "tls-cert",
    flagArg: "FILE",
    env: ["DOCKHAND_TLS_CERT"],
    yaml: ["dockhand.tls.cert"],
    default: "",
    parse: text,
    doc: "PEM certificate (chain) to serve TLS with; re-read when it changes or on SIGHUP",
    defaultDoc: "none (cleartext)",
  }),
  tlsKey: setting({
    flag: "tls-key",
    flagArg: "FILE",
    env: ["DOCKHAND_TLS_KEY"],
    yaml: ["dockhand.tls.key"],
    default: "",
    parse: text,
    doc: "PEM private key of --tls-cert",
    defaultDoc: "none",
  }),
  tlsClientCa: setting({
    flag: "tls-client-ca",
    flagArg: "FILE",
    env: ["DOCKHAND_TLS_CLIENT_CA"],
    yaml: ["dockhand.tls.client_ca"],
    default: "",
    parse: text,
    doc: "PEM CA bundle: turns on mTLS, refusing clients without a certificate it signed",
    defaultDoc: "none",
  }),
  insecure: setting({
    flag: "insecure",
    env: ["DOCKHAND_INSECURE"],
    yaml: ["dockhand.insecure"],
    default: false,
    parse: boolean,
    doc: "allow cleartext on an address that is not loopback",
  }),
  authTokensFile: setting({
    flag: "auth-tokens",
    flagArg: "FILE",
    env: ["DOCKHAND_AUTH_TOKENS"],
    yaml: ["dockhand.auth.tokens_file"],
    default: "",
    parse: text,
    doc: "YAML file of hashed tokens and mTLS subjects with their roles; re-read when it changes",
    defaultDoc: "none (no auth)",
  }),
  metricsAuth: setting({
    flag: "metrics-auth",
    env: ["DOCKHAND_METRICS_AUTH"],
    yaml: ["dockhand.metrics_auth"],
    default: false,
    parse: boolean,
    doc: "/metrics needs a viewer's credentials",
  }),
  corsOrigins: setting<readonly string[]>({
    flag: "cors-origins",
    flagArg: "LIST",
    env: ["DOCKHAND_CORS_ORIGINS"],
    yaml: ["dockhand.cors.origins"],
    default: Object.freeze([]),
    parse: list(origin),
    doc: "browser origins other than dockhand's own allowed to call, comma-separated; a request with any other Origin is refused (403); * (any) only with --auth-tokens",
    defaultDoc: "none",
  }),
  allowedHosts: setting<readonly string[]>({
    flag: "allowed-hosts",
    flagArg: "LIST",
    env: ["DOCKHAND_ALLOWED_HOSTS"],
    yaml: ["dockhand.allowed_hosts"],
    default: Object.freeze([]),
    parse: list(hostPort),
    doc: "names clients may dial besides 127.0.0.1, localhost, [::1] and the bound address (HOST for any port, or HOST:PORT), comma-separated; a request whose Host is another name is refused (403), against DNS rebinding",
    defaultDoc: "none",
  }),
  dashboard: setting({
    flag: "no-dashboard",
    flagSets: false,
    env: ["DOCKHAND_DASHBOARD"],
    yaml: ["dockhand.dashboard.enabled"],
    default: true,
    parse: boolean,
    doc: "serve the browser dashboard at GET / (--no-dashboard turns it off)",
  }),
  dashboardProtocol: setting<"grpcweb" | "connect">({
    flag: "dashboard-protocol",
    flagArg: "PROTOCOL",
    env: ["DOCKHAND_DASHBOARD_PROTOCOL"],
    yaml: ["dockhand.dashboard.protocol"],
    default: "grpcweb",
    parse: oneOf(["grpcweb", "connect"] as const),
    doc: "wire protocol the dashboard speaks to dockhand: grpcweb or connect",
  }),
  compatGenisys: setting({
    flag: "no-compat-genisys",
    flagSets: false,
    env: ["DOCKHAND_COMPAT_GENISYS"],
    yaml: ["dockhand.compat.genisys"],
    default: true,
    parse: boolean,
    doc: "serve the genisys connector's REST API (/service ...) on the port (--no-compat-genisys turns it off)",
  }),
  compatMistify: setting({
    flag: "no-compat-mistify",
    flagSets: false,
    env: ["DOCKHAND_COMPAT_MISTIFY"],
    yaml: ["dockhand.compat.mistify"],
    default: true,
    parse: boolean,
    doc: "serve the mistify agent's JSON-RPC (POST /_mistify_RPC_) on the port (--no-compat-mistify turns it off)",
  }),
  mistifyImageService: setting({
    flag: "mistify-image-service",
    flagArg: "HOST[:PORT]",
    env: ["DOCKHAND_MISTIFY_IMAGE_SERVICE"],
    yaml: ["dockhand.compat.mistify_image_service"],
    default: "image.services.lochness.local",
    parse: hostPort,
    doc: "where mistify's LoadImage downloads images (http://HOST:PORT/images/<id>/download); without a port, a DNS SRV lookup of HOST gives it",
  }),
  maxMessageBytes: setting({
    env: ["DOCKHAND_MAX_MESSAGE_BYTES"],
    yaml: ["dockhand.limits.max_message_bytes"],
    default: 4 * MiB,
    parse: integer(1024, 1024 ** 3),
    doc: "largest request body or message, in bytes (LoadImage's inline limit where larger)",
  }),
  maxConnections: setting({
    env: ["DOCKHAND_MAX_CONNECTIONS"],
    yaml: ["dockhand.limits.max_connections"],
    default: 1024,
    parse: integer(1, 1_000_000),
    doc: "connections the port holds at once; more are closed at accept",
  }),
  maxStreamsPerConnection: setting({
    env: ["DOCKHAND_MAX_STREAMS_PER_CONNECTION"],
    yaml: ["dockhand.limits.max_streams_per_connection"],
    default: 256,
    parse: integer(1, 100_000),
    doc: "concurrent calls on one HTTP/2 connection",
  }),
  maxHeaderBytes: setting({
    env: ["DOCKHAND_MAX_HEADER_BYTES"],
    yaml: ["dockhand.limits.max_header_bytes"],
    default: 16 * 1024,
    parse: integer(1024, MiB),
    doc: "largest request header block, in bytes",
  }),
  headerTimeoutMs: setting({
    env: ["DOCKHAND_HEADER_TIMEOUT_MS"],
    yaml: ["dockhand.limits.header_timeout_ms"],
    default: 10_000,
    parse: integer(100, 600_000),
    doc: "ms a connection may take to send a request's headers (and TLS handshake) before it is dropped",
  }),
  idleTimeoutMs: setting({
    env: ["DOCKHAND_IDLE_TIMEOUT_MS"],
    yaml: ["dockhand.limits.idle_timeout_ms"],
    default: 120_000,
    parse: integer(100, 86_400_000),
    doc: "ms a connection with no call in flight is kept open",
  }),
  websocketIdleTimeoutMs: setting({
    env: ["DOCKHAND_WEBSOCKET_IDLE_TIMEOUT_MS"],
    yaml: ["dockhand.limits.websocket_idle_timeout_ms"],
    default: 30 * 60_000,
    parse: integer(1000, 7 * 86_400_000),
    doc: "ms a WebSocket session (the browser console's ExecSession or Attach) may pass with no message either way before it is ended",
  }),
  websocketMaxSessionMs: setting({
    env: ["DOCKHAND_WEBSOCKET_MAX_SESSION_MS"],
    yaml: ["dockhand.limits.websocket_max_session_ms"],
    default: 12 * 3_600_000,
    parse: integer(1000, 30 * 86_400_000),
    doc: "ms a WebSocket session may last in all, however busy",
  }),
};

export type Settings = typeof settings;
type ValueOf<S> = S extends Setting<infer T> ? T : never;

/** Everything dockhand can be configured with: one field per setting above. */
export type Config = { -readonly [K in keyof Settings]: ValueOf<Settings[K]> };
