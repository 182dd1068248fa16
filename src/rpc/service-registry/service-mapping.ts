import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, durationMs, timestampFromDate, type Duration } from "@bufbuild/protobuf/wkt";
import { invalidArgument } from "../../model/dockhand-error.js";
import { checkDefinition, checkUpdatePolicy } from "../../model/definition-rules.js";
import {
  definitionWithDefaults,
  defaultStopGraceSeconds,
  defaultUpdatePolicy,
  type Rollout,
  type RolloutState,
  type UpdatePolicy,
  type ServiceDefinition,
  type StoredService,
} from "../../model/service-definition.js";
import {
  ServiceSchema,
  UnhealthyAction,
  UpdateFailureAction,
  UpdateOrder,
  UpdateState,
  type Service,
  type UpdateConfig,
  type UpdateStatusSchema,
} from "../../../gen/dockhand/v1/service_pb.js";
import { containerFieldsFromProto, protocolToProto, restartModeToProto } from "../container-fields.js";
import {
  fileMountsFromProto,
  fileMountsToProto,
  healthCheckFromProto,
  healthCheckToProto,
  mountsFromProto,
  mountsToProto,
} from "./workload-mapping.js";
import { autoscaleToProto } from "./autoscale-mapping.js";

/** A service message as a domain definition. Field names in errors are prefixed with `prefix`. */
export function definitionFromProto(service: Service | undefined, prefix = "service."): ServiceDefinition {
  if (!service) throw invalidArgument(prefix.replace(/\.$/, ""), "is required");
  const fields = containerFieldsFromProto(service, prefix);
  const def = definitionWithDefaults({
    ...fields,
    name: service.name,
    stopGraceSeconds: fields.stopGraceSeconds ?? defaultStopGraceSeconds,
    replaceUnhealthy: service.unhealthyAction !== UnhealthyAction.IGNORE,
    healthCheck: healthCheckFromProto(service.healthCheck, `${prefix}health_check.`),
    // Absent rather than empty, so that definitions stored before these fields compare equal.
    ...(service.mounts.length > 0 ? { mounts: mountsFromProto(service.mounts, `${prefix}mounts`) } : {}),
    ...(service.readOnlyRootFilesystem ? { readOnlyRootFs: true } : {}),
    ...(service.networks.length > 0 ? { networks: [...service.networks] } : {}),
    ...(service.secrets.length > 0 ? { secrets: fileMountsFromProto(service.secrets, "secret") } : {}),
    ...(service.configs.length > 0 ? { configs: fileMountsFromProto(service.configs, "config") } : {}),
  });
  // Checked here too so that errors name the field as the client wrote it (`service.ports[0]...`).
  checkDefinition(def, prefix);
  return def;
}

export function serviceToProto(stored: StoredService): Service {
  const def = stored.definition;
  return create(ServiceSchema, {
    name: def.name,
    image: def.image,
    command: def.command,
    environment: def.environment,
    ports: def.ports.map((port) => ({
      containerPort: port.containerPort,
      protocol: protocolToProto(port.protocol),
      hostPort: port.hostPort,
      hostIp: port.hostIp,
    })),
    labels: def.labels,
    stopGracePeriod: durationFromMs(def.stopGraceSeconds * 1000),
    init: def.init,
    restartPolicy: { mode: restartModeToProto[def.restart.mode], maxRetries: def.restart.maxRetries },
    resources: { memoryBytes: BigInt(def.memoryBytes), cpuMillis: def.cpuMillis },
    unhealthyAction: def.replaceUnhealthy ? UnhealthyAction.REPLACE : UnhealthyAction.IGNORE,
    healthCheck: healthCheckToProto(def.healthCheck),
    mounts: mountsToProto(def.mounts),
    readOnlyRootFilesystem: def.readOnlyRootFs ?? false,
    networks: def.networks ?? [],
    secrets: fileMountsToProto(def.secrets),
    configs: fileMountsToProto(def.configs),
    version: BigInt(stored.version),
    replicas: stored.replicas,
    createTime: timestampFromDate(new Date(stored.createdAt)),
    updateTime: timestampFromDate(new Date(stored.updatedAt)),
    updateConfig: {
      parallelism: stored.updatePolicy.parallelism,
      delay: durationFromMs(stored.updatePolicy.delayMs),
      order: stored.updatePolicy.order === "start-first" ? UpdateOrder.START_FIRST : UpdateOrder.STOP_FIRST,
      monitor: durationFromMs(stored.updatePolicy.monitorMs),
      failureAction:
        stored.updatePolicy.failureAction === "rollback" ? UpdateFailureAction.ROLLBACK : UpdateFailureAction.PAUSE,
      minHealthyTime: durationFromMs(stored.updatePolicy.minHealthyMs),
      healthyDeadline: durationFromMs(stored.updatePolicy.healthyDeadlineMs),
      canary: stored.updatePolicy.canary,
      autoPromote: stored.updatePolicy.autoPromote,
      autoRevert: stored.updatePolicy.autoRevert,
    },
    updateStatus: rolloutToProto(stored.rollout),
    autoscale: autoscaleToProto(stored.autoscale),
  });
}

const orders: Record<UpdateOrder, UpdatePolicy["order"]> = {
  [UpdateOrder.UNSPECIFIED]: "stop-first",
  [UpdateOrder.STOP_FIRST]: "stop-first",
  [UpdateOrder.START_FIRST]: "start-first",
};

const failureActions: Record<UpdateFailureAction, UpdatePolicy["failureAction"]> = {
  [UpdateFailureAction.UNSPECIFIED]: "pause",
  [UpdateFailureAction.PAUSE]: "pause",
  [UpdateFailureAction.ROLLBACK]: "rollback",
};

/** A duration in ms, where any negative part stays negative (durationMs rounds -5 ns to 0), for the range check. */
function signedMs(duration: Duration): number {
  return duration.seconds < 0n || duration.nanos < 0 ? Math.min(-1, durationMs(duration)) : durationMs(duration);
}

/** The update policy of a service message; undefined (keep the stored one) when unset. */
export function updatePolicyFromProto(
  config: UpdateConfig | undefined,
  prefix = "service.update_config.",
): UpdatePolicy | undefined {
  if (!config) return undefined;
  const order = orders[config.order];
  if (!order) throw invalidArgument(`${prefix}order`, `unknown order ${config.order}`);
  const failureAction = failureActions[config.failureAction];
  if (!failureAction) throw invalidArgument(`${prefix}failure_action`, `unknown action ${config.failureAction}`);
  const policy: UpdatePolicy = {
    parallelism: config.parallelism === 0 ? defaultUpdatePolicy.parallelism : config.parallelism,
    delayMs: config.delay ? signedMs(config.delay) : defaultUpdatePolicy.delayMs,
    order,
    monitorMs: config.monitor ? signedMs(config.monitor) : defaultUpdatePolicy.monitorMs,
    failureAction,
    minHealthyMs: config.minHealthyTime ? signedMs(config.minHealthyTime) : defaultUpdatePolicy.minHealthyMs,
    healthyDeadlineMs: config.healthyDeadline
      ? signedMs(config.healthyDeadline)
      : defaultUpdatePolicy.healthyDeadlineMs,
    canary: config.canary ?? 0,
    autoPromote: config.autoPromote ?? false,
    autoRevert: config.autoRevert ?? false,
  };
  checkUpdatePolicy(policy, prefix);
  return policy;
}

const rolloutStates: Record<RolloutState, UpdateState> = {
  updating: UpdateState.UPDATING,
  paused: UpdateState.PAUSED,
  rolling_back: UpdateState.ROLLING_BACK,
  rolled_back: UpdateState.ROLLED_BACK,
  completed: UpdateState.COMPLETED,
  canary: UpdateState.CANARY,
};

export function rolloutToProto(rollout: Rollout | undefined): MessageInitShape<typeof UpdateStatusSchema> | undefined {
  if (!rollout) return undefined;
  return {
    state: rolloutStates[rollout.state],
    message: rollout.message,
    fromVersion: BigInt(rollout.fromVersion),
    toVersion: BigInt(rollout.toVersion),
    startTime: timestampFromDate(new Date(rollout.startedAt)),
    endTime: rollout.endedAt ? timestampFromDate(new Date(rollout.endedAt)) : undefined,
  };
}
