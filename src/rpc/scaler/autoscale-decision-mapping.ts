import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { AutoscaleDecision } from "../../orchestrator/autoscale/autoscale-decision.js";
import type { AutoscaleDecisionSchema } from "../../../gen/dockhand/v1/scaler_pb.js";
import { autoscaleMetricToProto } from "../service-registry/autoscale-mapping.js";

export function autoscaleDecisionToProto(
  decision: AutoscaleDecision | undefined,
): MessageInitShape<typeof AutoscaleDecisionSchema> | undefined {
  if (!decision) return undefined;
  return {
    time: timestampFromDate(decision.at),
    metric: autoscaleMetricToProto(decision.metric),
    value: decision.value,
    target: decision.target,
    fromReplicas: decision.from,
    toReplicas: decision.to,
    why: decision.why,
    samples: decision.samples,
  };
}
