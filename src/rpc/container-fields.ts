/**
 * The proto fields a Service and a CreateContainer spec share (image, command, environment,
 * ports, labels, resources, init, restart policy, stop grace period), mapped one way for
 * both, so that the two RPCs cannot drift apart on what they accept.
 */
import { durationMs, type Duration } from "@bufbuild/protobuf/wkt";
import type { PortProtocol, RestartMode } from "../model/container-options.js";
import { maxStopGraceSeconds, type ContainerFields } from "../model/definition-rules.js";
import { invalidArgument } from "../model/dockhand-error.js";
import {
  Protocol,
  RestartPolicyMode,
  type PortMapping,
  type Resources,
  type RestartPolicy,
} from "../../gen/dockhand/v1/service_pb.js";

/** The shared fields as both messages carry them. */
export interface ContainerFieldsMessage {
  image: string;
  command: string[];
  environment: { [key: string]: string };
  ports: PortMapping[];
  labels: { [key: string]: string };
  resources?: Resources;
  init: boolean;
  restartPolicy?: RestartPolicy;
  stopGracePeriod?: Duration;
}

const protocolNames: Record<Protocol, PortProtocol> = {
  [Protocol.UNSPECIFIED]: "tcp",
  [Protocol.TCP]: "tcp",
  [Protocol.UDP]: "udp",
  [Protocol.SCTP]: "sctp",
};

const restartModes: Record<RestartPolicyMode, RestartMode> = {
  [RestartPolicyMode.UNSPECIFIED]: "no",
  [RestartPolicyMode.NO]: "no",
  [RestartPolicyMode.ALWAYS]: "always",
  [RestartPolicyMode.ON_FAILURE]: "on-failure",
  [RestartPolicyMode.UNLESS_STOPPED]: "unless-stopped",
};

export const restartModeToProto: Record<RestartMode, RestartPolicyMode> = {
  no: RestartPolicyMode.NO,
  always: RestartPolicyMode.ALWAYS,
  "on-failure": RestartPolicyMode.ON_FAILURE,
  "unless-stopped": RestartPolicyMode.UNLESS_STOPPED,
};

export function protocolFromProto(protocol: Protocol, field: string): PortProtocol {
  const name = protocolNames[protocol];
  if (!name) throw invalidArgument(field, `unknown protocol ${protocol}`);
  return name;
}

export function protocolToProto(protocol: PortProtocol): Protocol {
  return protocol === "udp" ? Protocol.UDP : protocol === "sctp" ? Protocol.SCTP : Protocol.TCP;
}

/** A duration in ms that must not be negative. */
export function nonNegativeMs(duration: Duration, field: string): number {
  // Checked on the fields: durationMs rounds a few negative nanoseconds to 0.
  if (duration.seconds < 0n || duration.nanos < 0) {
    throw invalidArgument(field, `must not be negative (got ${duration.seconds}s ${duration.nanos}ns)`);
  }
  return durationMs(duration);
}

/** A stop grace period in whole seconds (rounded up, as the engine counts); undefined when unset. */
export function graceSecondsFromProto(duration: Duration | undefined, field: string): number | undefined {
  if (!duration) return undefined;
  const seconds = Math.ceil(nonNegativeMs(duration, field) / 1000);
  if (seconds > maxStopGraceSeconds) {
    throw invalidArgument(field, `must be between 0s and ${maxStopGraceSeconds}s (got ${seconds}s)`);
  }
  return seconds;
}

/**
 * The shared fields in the domain's form; field names in errors are prefixed with `prefix`
 * (`service.`, `spec.`). Only what mapping itself must refuse is checked here; the domain's
 * rules (checkContainerFields, checkDefinition) check the rest.
 */
export function containerFieldsFromProto(message: ContainerFieldsMessage, prefix: string): ContainerFields {
  const mode = restartModes[message.restartPolicy?.mode ?? RestartPolicyMode.UNSPECIFIED];
  if (!mode) throw invalidArgument(`${prefix}restart_policy.mode`, `unknown mode ${message.restartPolicy?.mode}`);
  const stopGraceSeconds = graceSecondsFromProto(message.stopGracePeriod, `${prefix}stop_grace_period`);
  const memoryBytes = message.resources?.memoryBytes ?? 0n;
  if (memoryBytes > BigInt(Number.MAX_SAFE_INTEGER))
    throw invalidArgument(`${prefix}resources.memory_bytes`, "is too large");
  return {
    image: message.image,
    command: [...message.command],
    environment: { ...message.environment },
    ports: message.ports.map((port, i) => ({
      containerPort: port.containerPort,
      protocol: protocolFromProto(port.protocol, `${prefix}ports[${i}].protocol`),
      hostPort: port.hostPort,
      hostIp: port.hostIp,
    })),
    labels: { ...message.labels },
    init: message.init,
    restart: { mode, maxRetries: message.restartPolicy?.maxRetries ?? 0 },
    memoryBytes: Number(memoryBytes),
    cpuMillis: message.resources?.cpuMillis ?? 0,
    stopGraceSeconds,
  };
}
