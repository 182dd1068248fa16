/**
 * ContainerAgent's volume and network verbs, idempotent in the manner of the Kubernetes CRI:
 * their name rules, the calls, and the Volume and Network messages.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Engine } from "../../engine/engine.js";
import type { NetworkDetails, VolumeDetails } from "../../engine/types.js";
import { DockhandError, invalidArgument, isDockhandError } from "../../model/dockhand-error.js";
import { quote } from "../../model/quote.js";
import { networkNamePattern, volumeNamePattern } from "../../model/workload-rules.js";
import type { ContainerAgent } from "../../../gen/dockhand/v1/container_agent_pb.js";
import type { NetworkSchema, VolumeSchema } from "../../../gen/dockhand/v1/agent_resources_pb.js";
import { checkContainerRef, labelFilters } from "./container-refs.js";
import { checkResourceLabels } from "./resource-labels.js";

type ResourceMethods =
  | "listVolumes"
  | "getVolume"
  | "createVolume"
  | "deleteVolume"
  | "listNetworks"
  | "getNetwork"
  | "createNetwork"
  | "deleteNetwork"
  | "connectNetwork"
  | "disconnectNetwork";

const maxSelector = 16;
const maxAliases = 16;
const aliasPattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
/** An id (hex) or a name: what the engine takes where it wants a network. */
const networkRefPattern = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
const engineNetworks = new Set(["bridge", "host", "none"]);

function checkVolumeName(name: string, field = "name"): string {
  if (name === "") throw invalidArgument(field, "is required");
  if (!volumeNamePattern.test(name)) {
    throw invalidArgument(
      field,
      `${quote(name)} is not a volume name (1-64 letters, digits, '_', '.' or '-', starting with a letter or digit)`,
    );
  }
  return name;
}

function checkNetworkName(name: string, field = "name"): string {
  if (name === "") throw invalidArgument(field, "is required");
  if (!networkNamePattern.test(name)) {
    throw invalidArgument(
      field,
      `${quote(name)} is not a network name (1-64 letters, digits, '_', '.' or '-', starting with a letter or digit)`,
    );
  }
  if (engineNetworks.has(name)) throw invalidArgument(field, `${quote(name)} is one of the engine's own networks`);
  return name;
}

function checkNetworkRef(ref: string, field = "network"): string {
  if (ref === "") throw invalidArgument(field, "is required");
  if (!networkRefPattern.test(ref)) throw invalidArgument(field, `${quote(ref)} is not a network id or name`);
  return ref;
}

/** The network a Get or Delete acts on: `name`, or `network`, the released spelling kept as its alias; not both. */
function networkOf(req: { name: string; network: string }): string {
  if (req.name !== "" && req.network !== "")
    throw invalidArgument("network", "is the older spelling of name: give one of the two, not both");
  if (req.name === "" && req.network === "") throw invalidArgument("name", "is required");
  return req.name !== "" ? checkNetworkRef(req.name, "name") : checkNetworkRef(req.network);
}

function selectorFilters(selector: readonly string[], field = "label_selector"): string[] {
  if (selector.length > maxSelector)
    throw invalidArgument(field, `at most ${maxSelector} entries (got ${selector.length})`);
  return labelFilters(selector, field);
}

function checkAliases(aliases: readonly string[], field = "aliases"): string[] {
  if (aliases.length > maxAliases) throw invalidArgument(field, `at most ${maxAliases} (got ${aliases.length})`);
  aliases.forEach((alias, i) => {
    if (!aliasPattern.test(alias))
      throw invalidArgument(
        `${field}[${i}]`,
        `${quote(alias)} is not a DNS alias (1-63 letters, digits, '_', '.' or '-', starting with a letter or digit)`,
      );
  });
  return [...aliases];
}

function volumeToProto(v: VolumeDetails): MessageInitShape<typeof VolumeSchema> {
  return {
    name: v.name,
    driver: v.driver,
    labels: v.labels,
    mountpoint: v.mountpoint,
    createTime: v.createdAt ? timestampFromDate(v.createdAt) : undefined,
  };
}

function networkToProto(n: NetworkDetails): MessageInitShape<typeof NetworkSchema> {
  return {
    id: n.id,
    name: n.name,
    driver: n.driver,
    scope: n.scope,
    internal: n.internal,
    labels: n.labels,
    createTime: n.createdAt ? timestampFromDate(n.createdAt) : undefined,
    containers: n.containers.map((c) => ({ containerId: c.id, containerName: c.name, ipv4Address: c.ipv4 })),
  };
}

/** Resolves to false when the thing is already gone (NotFound), as the CRI's deletes do. */
async function unlessGone(attempt: Promise<void>): Promise<boolean> {
  try {
    await attempt;
    return true;
  } catch (err) {
    if (isDockhandError(err, "NotFound")) return false;
    throw err;
  }
}

/** True when the container (id, id prefix or name) is attached to the network. */
async function attached(engine: Engine, network: string, container: string, signal: AbortSignal): Promise<boolean> {
  const id = (await engine.containers.inspect(container, signal)).id;
  return (await engine.networks.inspect(network, signal)).containers.some((c) => c.id === id);
}

export function createResourceMethods(engine: Engine): Pick<ServiceImpl<typeof ContainerAgent>, ResourceMethods> {
  return {
    async listVolumes(req, ctx) {
      return {
        volumes: (await engine.volumes.list({ labels: selectorFilters(req.labelSelector) }, ctx.signal)).map(
          volumeToProto,
        ),
      };
    },
    async getVolume(req, ctx) {
      return { volume: volumeToProto(await engine.volumes.inspect(checkVolumeName(req.name), ctx.signal)) };
    },
    async createVolume(req, ctx) {
      const name = checkVolumeName(req.name);
      const labels = checkResourceLabels(req.labels);
      const existing = await engine.volumes.inspect(name, ctx.signal).catch((err: unknown) => {
        if (isDockhandError(err, "NotFound")) return undefined;
        throw err;
      });
      if (existing) return { volume: volumeToProto(existing), created: false };
      return { volume: volumeToProto(await engine.volumes.create({ name, labels }, ctx.signal)), created: true };
    },
    async deleteVolume(req, ctx) {
      const name = checkVolumeName(req.name);
      try {
        return { deleted: await unlessGone(engine.volumes.remove(name, ctx.signal)) };
      } catch (err) {
        if (!isDockhandError(err, "Conflict")) throw err;
        throw new DockhandError(
          "FailedPrecondition",
          `volume ${name} is in use by a container; remove the container first`,
          { cause: err },
        );
      }
    },
    async listNetworks(req, ctx) {
      return {
        networks: (await engine.networks.list({ labels: selectorFilters(req.labelSelector) }, ctx.signal)).map(
          networkToProto,
        ),
      };
    },
    async getNetwork(req, ctx) {
      return { network: networkToProto(await engine.networks.inspect(networkOf(req), ctx.signal)) };
    },
    async createNetwork(req, ctx) {
      const name = checkNetworkName(req.name);
      const labels = checkResourceLabels(req.labels);
      try {
        return {
          network: networkToProto(await engine.networks.create({ name, labels, internal: req.internal }, ctx.signal)),
          created: true,
        };
      } catch (err) {
        if (!isDockhandError(err, "AlreadyExists")) throw err;
        return { network: networkToProto(await engine.networks.inspect(name, ctx.signal)), created: false };
      }
    },
    async deleteNetwork(req, ctx) {
      const network = networkOf(req);
      try {
        return { deleted: await unlessGone(engine.networks.remove(network, ctx.signal)) };
      } catch (err) {
        if (!isDockhandError(err, "Conflict")) throw err;
        throw new DockhandError("FailedPrecondition", `network ${network} cannot be deleted: ${err.message}`, {
          cause: err,
        });
      }
    },
    async connectNetwork(req, ctx) {
      const network = checkNetworkRef(req.network);
      const container = checkContainerRef(req.container, "container");
      const aliases = checkAliases(req.aliases);
      try {
        await engine.networks.connect(network, container, aliases, ctx.signal);
        return { connected: true };
      } catch (err) {
        if (!isDockhandError(err, "Conflict") || !(await attached(engine, network, container, ctx.signal))) throw err;
        return { connected: false };
      }
    },
    async disconnectNetwork(req, ctx) {
      const network = checkNetworkRef(req.network);
      const container = checkContainerRef(req.container, "container");
      try {
        await engine.networks.disconnect(network, container, req.force, ctx.signal);
        return { disconnected: true };
      } catch (err) {
        if (!isDockhandError(err, "Conflict") && !isDockhandError(err, "NotFound") && !isDockhandError(err, "Internal"))
          throw err;
        // Not attached is success; a missing network or container is NOT_FOUND.
        if (await attached(engine, network, container, ctx.signal)) throw err;
        return { disconnected: false };
      }
    },
  };
}
