import type { CoreEngine } from "../engine/engine.js";
import type { NetworkAttachment } from "../engine/types.js";
import { isDockhandError } from "../errors/dockhand-error.js";
import type { ServiceDefinition } from "../registry/service-definition.js";
import { isSharedNetworkMode } from "../registry/workload-rules.js";
import { instanceLabel, managedByLabel } from "./ownership.js";

/** The networks a service's containers join, each with the service's name as a DNS alias. */
export function networkAttachmentsFor(def: ServiceDefinition): NetworkAttachment[] {
  return (def.networks ?? []).map((network) => ({ network, aliases: isSharedNetworkMode(network) ? [] : [def.name] }));
}

/**
 * Creates each of a definition's networks that is missing, as a user-defined bridge labelled
 * as this dockhand's; an existing network is joined as it is. Another slot creating the same
 * network at the same moment is fine.
 */
export async function ensureNetworks(engine: Pick<CoreEngine, "inspectNetwork" | "createNetwork">, instance: string, def: ServiceDefinition): Promise<void> {
  for (const network of def.networks ?? []) {
    if (isSharedNetworkMode(network)) continue;
    try {
      await engine.inspectNetwork(network);
    } catch (err) {
      if (!isDockhandError(err, "NotFound")) throw err;
      await engine
        .createNetwork({ name: network, labels: { [managedByLabel]: "dockhand", [instanceLabel]: instance }, internal: false })
        .catch((createErr: unknown) => {
          if (!isDockhandError(createErr, "AlreadyExists")) throw createErr;
        });
    }
  }
}
