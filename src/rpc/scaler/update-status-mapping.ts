import type { MessageInitShape } from "@bufbuild/protobuf";
import type { UpdateStatusSchema } from "../../../gen/dockhand/v1/service_pb.js";
import { isCanary } from "../../model/canary-names.js";
import type { ServiceStatusView } from "../../orchestrator/service-status.js";
import { rolloutToProto } from "../service-registry/service-mapping.js";

/** A status's update, with how many containers of each version run and how many canaries. */
export function updateStatusToProto(view: ServiceStatusView): MessageInitShape<typeof UpdateStatusSchema> | undefined {
  const update = rolloutToProto(view.rollout);
  const rollout = view.rollout;
  if (!update || !rollout) return update;
  const running = view.containers.filter((c) => c.state === "running");
  // A return to a version's definition counts that version's containers as new.
  const isNew = (version: number) => version === rollout.toVersion || version === rollout.restores;
  const fresh = running.filter((c) => isNew(c.definitionVersion));
  return {
    ...update,
    oldRunning: running.filter((c) => c.definitionVersion === rollout.fromVersion).length,
    newRunning: fresh.length,
    newReady: fresh.filter((c) => c.health === "healthy" || c.health === "none").length,
    canaries: running.filter((c) => isCanary(c, view.name, c.slot)).length,
  };
}
