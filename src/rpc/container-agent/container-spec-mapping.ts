import { isAbsolute } from "node:path";
import type { ContainerSpec, HostAccessSpec, MountSpec } from "../../engine/types.js";
import { invalidArgument } from "../../model/dockhand-error.js";
import { checkDefinition } from "../../model/definition-rules.js";
import { definitionWithDefaults } from "../../model/service-definition.js";
import type { ContainerSpec as ProtoSpec, HostAccess, Mount } from "../../../gen/dockhand/v1/agent_containers_pb.js";
import { RestartPolicyMode } from "../../../gen/dockhand/v1/service_pb.js";
import { checkContainerName, graceSeconds } from "./container-request-rules.js";
import { normalizeCapability } from "../../model/linux-names.js";
import { protocolFromProto, restartModes } from "../service-registry/service-mapping.js";
import { quote } from "../../model/quote.js";

const volumeNamePattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

function mountFromProto(mount: Mount, field: string): MountSpec {
  const target = mount.containerPath;
  if (target === "") throw invalidArgument(`${field}.container_path`, "is required");
  if (!isAbsolute(target) || target === "/" || target.includes("\0")) {
    throw invalidArgument(`${field}.container_path`, `${quote(target)} must be an absolute path other than "/"`);
  }
  const source = mount.source;
  if (source.case === "hostPath") {
    if (!isAbsolute(source.value) || source.value.includes("\0")) {
      throw invalidArgument(`${field}.host_path`, `${quote(source.value)} must be an absolute path`);
    }
    return { target, type: "bind", source: source.value, readOnly: mount.readOnly };
  }
  if (source.case === "volume") {
    if (!volumeNamePattern.test(source.value)) {
      throw invalidArgument(`${field}.volume`, `${quote(source.value)} is not a volume name (letters, digits, '_', '.', '-')`);
    }
    return { target, type: "volume", source: source.value, readOnly: mount.readOnly };
  }
  throw invalidArgument(field, "needs a host_path or a volume");
}

function hostAccessFromProto(access: HostAccess | undefined, field: string): HostAccessSpec | undefined {
  if (!access) return undefined;
  return {
    privileged: access.privileged,
    hostNetwork: access.hostNetwork,
    addCapabilities: access.addCapabilities.map((raw, i) => {
      const capability = normalizeCapability(raw);
      if (!capability) throw invalidArgument(`${field}.add_capabilities[${i}]`, `${quote(raw)} is not a Linux capability`);
      return capability;
    }),
  };
}

/**
 * A CreateContainer spec as an engine spec. Throws InvalidArgument naming the first bad field.
 * Whether the server allows its host-power options is checked separately (checkHostAccess).
 */
export function specFromProto(spec: ProtoSpec | undefined, prefix = "spec."): ContainerSpec {
  if (!spec) throw invalidArgument(prefix.replace(/\.$/, ""), "is required");
  checkContainerName(spec.name, `${prefix}name`);
  const mode = restartModes[spec.restartPolicy?.mode ?? RestartPolicyMode.UNSPECIFIED];
  if (!mode) throw invalidArgument(`${prefix}restart_policy.mode`, `unknown mode ${spec.restartPolicy?.mode}`);
  const stopGraceSeconds = graceSeconds(spec.stopGracePeriod, `${prefix}stop_grace_period`);
  const memoryBytes = spec.resources?.memoryBytes ?? 0n;
  if (memoryBytes > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidArgument(`${prefix}resources.memory_bytes`, "is too large");
  // Apart from its name (the engine's rule, checked above), a container spec has exactly the
  // fields of a service definition, so the definition rules check them, with the same messages.
  const definition = definitionWithDefaults({
    name: "container",
    image: spec.image,
    command: [...spec.command],
    environment: { ...spec.environment },
    ports: spec.ports.map((port, i) => ({
      containerPort: port.containerPort,
      protocol: protocolFromProto(port.protocol, `${prefix}ports[${i}].protocol`),
      hostPort: port.hostPort,
      hostIp: port.hostIp,
    })),
    labels: { ...spec.labels },
    stopGraceSeconds: stopGraceSeconds ?? 0,
    init: spec.init,
    restart: { mode, maxRetries: spec.restartPolicy?.maxRetries ?? 0 },
    memoryBytes: Number(memoryBytes),
    cpuMillis: spec.resources?.cpuMillis ?? 0,
  });
  checkDefinition(definition, prefix);
  const hostAccess = hostAccessFromProto(spec.hostAccess, `${prefix}host_access`);
  if (hostAccess?.hostNetwork && definition.ports.length > 0) {
    throw invalidArgument(`${prefix}ports`, "must be empty with host_access.host_network: the host's ports are the container's");
  }
  return {
    name: spec.name || undefined,
    image: definition.image,
    command: definition.command,
    env: definition.environment,
    labels: definition.labels,
    ports: definition.ports,
    init: definition.init,
    restart: definition.restart,
    memoryBytes: definition.memoryBytes,
    nanoCpus: definition.cpuMillis * 1_000_000,
    stopGraceSeconds,
    mounts: spec.mounts.map((mount, i) => mountFromProto(mount, `${prefix}mounts[${i}]`)),
    hostAccess,
  };
}
