/**
 * ContainerAgent's WatchEvents: the request's filters as the engine's, the services filter
 * applied here, and each engine event or stream notice as a WatchEventsResponse.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Engine } from "../../engine/engine.js";
import type { EngineEvent, EngineEventItem, EngineEventType, WatchEventsOptions } from "../../engine/event-stream.js";
import { checkServiceName } from "../../model/definition-rules.js";
import { invalidArgument } from "../../model/dockhand-error.js";
import { serviceLabel } from "../../model/ownership-labels.js";
import {
  EventAction,
  EventType,
  type WatchEventsRequest,
  type WatchEventsResponseSchema,
} from "../../../gen/dockhand/v1/agent_streams_pb.js";
import type { ContainerAgent } from "../../../gen/dockhand/v1/container_agent_pb.js";
import { healthToProto } from "../scaler/status-mapping.js";
import { checkContainerRef, labelFilters } from "./container-refs.js";
import { nanoFromTimestamp, timestampFromNano } from "./nano-time.js";

/** The engine's action words with a value of their own in EventAction. */
const actionWords: Partial<Record<EventAction, string>> = {
  [EventAction.CREATE]: "create",
  [EventAction.START]: "start",
  [EventAction.DIE]: "die",
  [EventAction.OOM]: "oom",
  [EventAction.HEALTH_STATUS]: "health_status",
  [EventAction.PAUSE]: "pause",
  [EventAction.UNPAUSE]: "unpause",
  [EventAction.DESTROY]: "destroy",
  [EventAction.KILL]: "kill",
  [EventAction.STOP]: "stop",
  [EventAction.RESTART]: "restart",
  [EventAction.PULL]: "pull",
  [EventAction.DELETE]: "delete",
  [EventAction.TAG]: "tag",
  [EventAction.UNTAG]: "untag",
  [EventAction.PUSH]: "push",
  [EventAction.LOAD]: "load",
};

const actionsByWord = new Map(
  Object.entries(actionWords).map(([action, word]) => [word, Number(action) as EventAction]),
);

const eventTypeNames: Partial<Record<EventType, EngineEventType>> = {
  [EventType.CONTAINER]: "container",
  [EventType.IMAGE]: "image",
};

function pick<K extends number, V>(values: readonly K[], names: Partial<Record<K, V>>, field: string): V[] {
  return values.map((value, i) => {
    const name = names[value];
    if (name === undefined) throw invalidArgument(`${field}[${i}]`, `${value} is not a valid value`);
    return name;
  });
}

/**
 * WatchEvents' engine filters, and the services to keep. The engine ANDs several label
 * filters, so services (any of them) are checked here, after the engine filtered on the
 * presence of the service label.
 */
function eventWatchFromProto(req: WatchEventsRequest): {
  options: Omit<WatchEventsOptions, "signal">;
  services: Set<string>;
} {
  const types = pick(req.types, eventTypeNames, "types");
  req.containers.forEach((ref, i) => checkContainerRef(ref, `containers[${i}]`));
  req.services.forEach((name, i) => checkServiceName(name, `services[${i}]`));
  const labels = labelFilters(req.labels, "labels");
  if (req.services.length > 0) labels.push(serviceLabel);
  const actions = pick(req.actions, actionWords, "actions");
  const since = req.since ? nanoFromTimestamp(req.since) : undefined;
  if (since !== undefined && since < 0n) throw invalidArgument("since", "must not be before 1970");
  const containersOnly = req.services.length > 0 || req.containers.length > 0;
  if (containersOnly && types.length > 0 && !types.includes("container")) {
    throw invalidArgument("types", "the containers and services filters match container events only");
  }
  const filters = {
    types: containersOnly ? ["container" as const] : types,
    containers: req.containers,
    labels,
    actions,
  };
  return {
    options: { filters, since: since === undefined ? undefined : new Date(Number(since / 1_000_000n)) },
    services: new Set(req.services),
  };
}

function eventToProto(event: EngineEvent) {
  return {
    type: event.type === "container" ? EventType.CONTAINER : EventType.IMAGE,
    action: actionsByWord.get(event.action) ?? EventAction.UNSPECIFIED,
    rawAction: event.action,
    detail: event.detail,
    id: event.id,
    name: event.attributes.name ?? "",
    service: event.type === "container" ? (event.attributes[serviceLabel] ?? "") : "",
    attributes: event.attributes,
    time: timestampFromNano(event.timeNano),
    exitCode: event.exitCode,
    health: event.health === undefined ? undefined : healthToProto(event.health),
  };
}

function eventItemToProto(item: EngineEventItem): MessageInitShape<typeof WatchEventsResponseSchema> {
  switch (item.kind) {
    case "event":
      return { item: { case: "event", value: eventToProto(item.event) } };
    case "connected":
      return { item: { case: "connected", value: {} } };
    case "resynced":
      return {
        item: {
          case: "resynced",
          value: {
            lostTime: timestampFromDate(item.lostAt),
            reason: item.reason,
            since: item.since ? timestampFromDate(item.since) : undefined,
          },
        },
      };
  }
}

export function createEventMethods(engine: Engine): Pick<ServiceImpl<typeof ContainerAgent>, "watchEvents"> {
  return {
    async *watchEvents(req, ctx) {
      const { options, services } = eventWatchFromProto(req);
      for await (const item of engine.events.watch({ ...options, signal: ctx.signal })) {
        if (item.kind === "event" && services.size > 0 && !services.has(item.event.attributes[serviceLabel] ?? ""))
          continue;
        yield eventItemToProto(item);
      }
    },
  };
}
