import type { Engine } from "../../engine/engine.js";
import type { NetworkAttachment } from "../../engine/types.js";
import { DockhandError, isDockhandError } from "../../model/dockhand-error.js";
import { quote } from "../../model/quote.js";
import type { ServiceDefinition } from "../../model/service-definition.js";
import { isSharedNetworkMode } from "../../model/workload-rules.js";
import { instanceLabel, managedByLabel } from "../../model/ownership-labels.js";

/** The networks a service's containers join, each with the service's name as a DNS alias. */
export function networkAttachmentsFor(def: ServiceDefinition): NetworkAttachment[] {
  return (def.networks ?? []).map((network) => ({ network, aliases: isSharedNetworkMode(network) ? [] : [def.name] }));
}

/**
 * Makes sure a definition's networks exist: a missing one is created as a user-defined bridge
 * labelled as this dockhand's; an existing one is joined as it is. The engine's duplicate check
 * is best effort (two creates at once can make two networks of one name), so creations of one
 * name are single-flight within this dockhand.
 */
export function createNetworkEnsurer(
  engine: Pick<Engine, "networks">,
  instance: string,
): (def: ServiceDefinition) => Promise<void> {
  const inFlight = new Map<string, Promise<void>>();

  async function ensureOne(network: string): Promise<void> {
    try {
      const details = await engine.networks.inspect(network);
      // Stored before CreateService resolved ids: the host's namespace is never joined by an id.
      if (details.driver === "host" && network !== "host") {
        throw new DockhandError(
          "PermissionDenied",
          `networks: ${quote(network)} is the host network, named by its id; services join it only as "host", where the server allows it`,
          { details: { field: "networks" } },
        );
      }
    } catch (err) {
      if (!isDockhandError(err, "NotFound")) throw err;
      await engine.networks
        .create({ name: network, labels: { [managedByLabel]: "dockhand", [instanceLabel]: instance }, internal: false })
        .catch((createErr: unknown) => {
          if (!isDockhandError(createErr, "AlreadyExists")) throw createErr;
        });
    }
  }

  return async (def) => {
    for (const network of def.networks ?? []) {
      if (isSharedNetworkMode(network)) continue;
      let pending = inFlight.get(network);
      if (!pending) {
        pending = ensureOne(network).finally(() => inFlight.delete(network));
        inFlight.set(network, pending);
      }
      await pending;
    }
  };
}

/**
 * After a service is deleted: removes each network of its definition that this dockhand created,
 * once no container is attached to it and no other stored service names it. A network someone
 * else made, or one still in use, stays. Returns the names removed.
 */
export async function removeUnusedNetworks(
  engine: Pick<Engine, "networks">,
  instance: string,
  def: ServiceDefinition,
  stillNamed: (network: string) => boolean,
): Promise<string[]> {
  const removed: string[] = [];
  for (const network of def.networks ?? []) {
    if (isSharedNetworkMode(network) || stillNamed(network)) continue;
    try {
      const details = await engine.networks.inspect(network);
      if (details.labels[managedByLabel] !== "dockhand" || details.labels[instanceLabel] !== instance) continue;
      if (details.containers.length > 0) continue;
      await engine.networks.remove(details.id);
      removed.push(network);
    } catch (err) {
      // Gone already, or taken into use meanwhile (the engine refuses): it stays, nothing failed.
      if (
        !isDockhandError(err, "NotFound") &&
        !isDockhandError(err, "FailedPrecondition") &&
        !isDockhandError(err, "Conflict")
      )
        throw err;
    }
  }
  return removed;
}
