import { create } from "@bufbuild/protobuf";
import { durationFromMs, durationMs, timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { PortProtocol, RestartMode } from "../engine/types.js";
import { invalidArgument } from "../errors/dockhand-error.js";
import { checkDefinition } from "../registry/definition-rules.js";
import {
  definitionWithDefaults,
  defaultStopGraceSeconds,
  type ServiceDefinition,
  type StoredService,
} from "../registry/service-definition.js";
import {
  Protocol,
  RestartPolicyMode,
  ServiceSchema,
  UnhealthyAction,
  type Service,
} from "../../gen/dockhand/v1/service_pb.js";

const protocolNames: Record<Protocol, PortProtocol> = {
  [Protocol.UNSPECIFIED]: "tcp",
  [Protocol.TCP]: "tcp",
  [Protocol.UDP]: "udp",
  [Protocol.SCTP]: "sctp",
};

export const restartModes: Record<RestartPolicyMode, RestartMode> = {
  [RestartPolicyMode.UNSPECIFIED]: "no",
  [RestartPolicyMode.NO]: "no",
  [RestartPolicyMode.ALWAYS]: "always",
  [RestartPolicyMode.ON_FAILURE]: "on-failure",
  [RestartPolicyMode.UNLESS_STOPPED]: "unless-stopped",
};

export function protocolFromProto(protocol: Protocol, field: string): PortProtocol {
  const name = protocolNames[protocol];
  if (!name) throw invalidArgument(field, `unknown protocol ${protocol}`);
  return name;
}

export function protocolToProto(protocol: PortProtocol): Protocol {
  return protocol === "udp" ? Protocol.UDP : protocol === "sctp" ? Protocol.SCTP : Protocol.TCP;
}

/** A service message as a domain definition. Field names in errors are prefixed with `prefix`. */
export function definitionFromProto(service: Service | undefined, prefix = "service."): ServiceDefinition {
  if (!service) throw invalidArgument(prefix.replace(/\.$/, ""), "is required");
  const mode = restartModes[service.restartPolicy?.mode ?? RestartPolicyMode.UNSPECIFIED];
  if (!mode) throw invalidArgument(`${prefix}restart_policy.mode`, `unknown mode ${service.restartPolicy?.mode}`);
  let stopGraceSeconds = defaultStopGraceSeconds;
  if (service.stopGracePeriod) {
    const ms = durationMs(service.stopGracePeriod);
    if (ms < 0) throw invalidArgument(`${prefix}stop_grace_period`, "must not be negative");
    stopGraceSeconds = Math.ceil(ms / 1000);
  }
  const memoryBytes = service.resources?.memoryBytes ?? 0n;
  if (memoryBytes > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw invalidArgument(`${prefix}resources.memory_bytes`, "is too large");
  }
  const def = definitionWithDefaults({
    name: service.name,
    image: service.image,
    command: [...service.command],
    environment: { ...service.environment },
    ports: service.ports.map((port, i) => ({
      containerPort: port.containerPort,
      protocol: protocolFromProto(port.protocol, `${prefix}ports[${i}].protocol`),
      hostPort: port.hostPort,
      hostIp: port.hostIp,
    })),
    labels: { ...service.labels },
    stopGraceSeconds,
    init: service.init,
    restart: { mode, maxRetries: service.restartPolicy?.maxRetries ?? 0 },
    memoryBytes: Number(memoryBytes),
    cpuMillis: service.resources?.cpuMillis ?? 0,
    replaceUnhealthy: service.unhealthyAction !== UnhealthyAction.IGNORE,
  });
  // Checked here too so that errors name the field as the client wrote it (`service.ports[0]...`).
  checkDefinition(def, prefix);
  return def;
}

export const restartModeToProto: Record<RestartMode, RestartPolicyMode> = {
  no: RestartPolicyMode.NO,
  always: RestartPolicyMode.ALWAYS,
  "on-failure": RestartPolicyMode.ON_FAILURE,
  "unless-stopped": RestartPolicyMode.UNLESS_STOPPED,
};

export function serviceToProto(stored: StoredService): Service {
  const def = stored.definition;
  return create(ServiceSchema, {
    name: def.name,
    image: def.image,
    command: def.command,
    environment: def.environment,
    ports: def.ports.map((port) => ({
      containerPort: port.containerPort,
      protocol: protocolToProto(port.protocol),
      hostPort: port.hostPort,
      hostIp: port.hostIp,
    })),
    labels: def.labels,
    stopGracePeriod: durationFromMs(def.stopGraceSeconds * 1000),
    init: def.init,
    restartPolicy: { mode: restartModeToProto[def.restart.mode], maxRetries: def.restart.maxRetries },
    resources: { memoryBytes: BigInt(def.memoryBytes), cpuMillis: def.cpuMillis },
    unhealthyAction: def.replaceUnhealthy ? UnhealthyAction.REPLACE : UnhealthyAction.IGNORE,
    version: BigInt(stored.version),
    replicas: stored.replicas,
    createTime: timestampFromDate(new Date(stored.createdAt)),
    updateTime: timestampFromDate(new Date(stored.updatedAt)),
  });
}
