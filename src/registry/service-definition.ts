import type { PortProtocol, RestartMode } from "../engine/types.js";

/** What each container of a service runs. Plain data: stored as JSON, compared by value. */
export interface ServiceDefinition {
  name: string;
  image: string;
  command: string[];
  environment: Record<string, string>;
  ports: Array<{ containerPort: number; protocol: PortProtocol; hostPort: number; hostIp: string }>;
  labels: Record<string, string>;
  stopGraceSeconds: number;
  init: boolean;
  restart: { mode: RestartMode; maxRetries: number };
  memoryBytes: number;
  /** Thousandths of a CPU; 0 = no limit. */
  cpuMillis: number;
  /** Replace a running container whose healthcheck reports unhealthy. */
  replaceUnhealthy: boolean;
}

/** A definition as the registry stores it, with its bookkeeping. */
export interface StoredService {
  definition: ServiceDefinition;
  /** Incremented on every change of the definition. */
  version: number;
  /** Desired number of running containers. */
  replicas: number;
  createdAt: string;
  updatedAt: string;
}

export const defaultStopGraceSeconds = 10;

/** Fills the optional parts of a definition with their defaults. */
export function definitionWithDefaults(
  partial: Pick<ServiceDefinition, "name" | "image"> & Partial<ServiceDefinition>,
): ServiceDefinition {
  return {
    command: [],
    environment: {},
    ports: [],
    labels: {},
    stopGraceSeconds: defaultStopGraceSeconds,
    init: false,
    restart: { mode: "no", maxRetries: 0 },
    memoryBytes: 0,
    cpuMillis: 0,
    replaceUnhealthy: true,
    ...partial,
  };
}

/** Key-order-insensitive equality of two definitions. */
export function sameDefinition(a: ServiceDefinition, b: ServiceDefinition): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => x.localeCompare(y)))
      : v,
  );
}
