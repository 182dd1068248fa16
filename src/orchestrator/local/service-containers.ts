import type { CoreEngine } from "../../engine/engine.js";
import type { ContainerSummary } from "../../engine/types.js";
import { instanceFilter, ownedBy, serviceFilter } from "../../model/ownership-labels.js";

/** Every container of a service that `instance` owns, running or not (an authoritative list). */
export async function listServiceContainers(engine: Pick<CoreEngine, "listContainers">, instance: string, service: string): Promise<ContainerSummary[]> {
  const all = await engine.listContainers({ all: true, labels: [serviceFilter(service), instanceFilter(instance)] });
  return all.filter((c) => ownedBy(c.labels, instance)?.service === service);
}
