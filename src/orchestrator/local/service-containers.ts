import type { Engine } from "../../engine/engine.js";
import type { ContainerSummary } from "../../engine/types.js";
import { instanceFilter, ownedBy, serviceFilter } from "../../model/ownership-labels.js";

/** Every container of a service that `instance` owns, running or not (an authoritative list). */
export async function listServiceContainers(
  engine: Pick<Engine, "containers">,
  instance: string,
  service: string,
): Promise<ContainerSummary[]> {
  const all = await engine.containers.list({ all: true, labels: [serviceFilter(service), instanceFilter(instance)] });
  return all.filter((c) => ownedBy(c.labels, instance)?.service === service);
}
