/**
 * ContainerAgent's CreateContainer: the spec mapped to the engine's form and checked by the
 * same rules as a service definition's (the fields they share), the server's host-access
 * policy applied, then the create.
 */
import { isAbsolute } from "node:path";
import type { ServiceImpl } from "@connectrpc/connect";
import type { Engine } from "../../engine/engine.js";
import type { ContainerSpec, HostAccessSpec, MountSpec } from "../../engine/types.js";
import { checkContainerFields } from "../../model/definition-rules.js";
import { DockhandError, invalidArgument, isDockhandError } from "../../model/dockhand-error.js";
import { normalizeCapability } from "../../model/linux-names.js";
import { quote } from "../../model/quote.js";
import type { ContainerSpec as ProtoSpec, HostAccess, Mount } from "../../../gen/dockhand/v1/agent_containers_pb.js";
import type { ContainerAgent } from "../../../gen/dockhand/v1/container_agent_pb.js";
import { containerFieldsFromProto } from "../container-fields.js";
import { descriptionToProto } from "./container-message.js";
import { checkContainerName } from "./container-refs.js";
import { asFieldError } from "./containers.js";
import { checkHostAccess, type HostAccessPolicy } from "./host-access-policy.js";

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
      throw invalidArgument(
        `${field}.volume`,
        `${quote(source.value)} is not a volume name (letters, digits, '_', '.', '-')`,
      );
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
      if (!capability)
        throw invalidArgument(`${field}.add_capabilities[${i}]`, `${quote(raw)} is not a Linux capability`);
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
  const fields = containerFieldsFromProto(spec, prefix);
  checkContainerFields(fields, prefix);
  const hostAccess = hostAccessFromProto(spec.hostAccess, `${prefix}host_access`);
  if (hostAccess?.hostNetwork && fields.ports.length > 0) {
    throw invalidArgument(
      `${prefix}ports`,
      "must be empty with host_access.host_network: the host's ports are the container's",
    );
  }
  return {
    name: spec.name || undefined,
    image: fields.image,
    command: fields.command,
    env: fields.environment,
    labels: fields.labels,
    ports: fields.ports,
    init: fields.init,
    restart: fields.restart,
    memoryBytes: fields.memoryBytes,
    nanoCpus: fields.cpuMillis * 1_000_000,
    stopGraceSeconds: fields.stopGraceSeconds,
    mounts: spec.mounts.map((mount, i) => mountFromProto(mount, `${prefix}mounts[${i}]`)),
    hostAccess,
  };
}

export interface ContainerCreateDeps {
  engine: Engine;
  /** Which host-power options the spec may use (the server config's allow_* settings). */
  hostAccess: HostAccessPolicy;
}

export function createContainerCreateMethod(
  deps: ContainerCreateDeps,
): Pick<ServiceImpl<typeof ContainerAgent>, "createContainer"> {
  const { engine, hostAccess } = deps;
  return {
    async createContainer(req, ctx) {
      const spec = specFromProto(req.spec);
      checkHostAccess(spec, hostAccess);
      let id: string;
      try {
        id = await engine.containers.create(spec, ctx.signal);
      } catch (err) {
        // The container does not exist yet, so the engine's only 404 here is the image's.
        if (!isDockhandError(err, "NotFound")) throw asFieldError(err, "spec");
        throw new DockhandError(
          "FailedPrecondition",
          `spec.image: image ${quote(spec.image)} is not on the engine; pull it first`,
          {
            cause: err,
            details: { field: "spec.image" },
          },
        );
      }
      return { container: descriptionToProto(await engine.containers.describe(id, ctx.signal)) };
    },
  };
}
