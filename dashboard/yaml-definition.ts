import { fromJson, toJson, type JsonObject } from "@bufbuild/protobuf";
import { parse, stringify } from "yaml";
import { ServiceSchema, type Service } from "../gen/dockhand/v1/service_pb.js";
import { topField } from "./field-paths.js";

/** Output-only fields: the server ignores them, so the editors do not show them. */
const outputOnly = ["replicas", "create_time", "update_time", "update_status"];

/** A definition as the editors show it: YAML with the proto's field names, without output-only fields. */
export function toYaml(service: Service): string {
  const json = toJson(ServiceSchema, service, { useProtoFieldName: true }) as JsonObject;
  for (const key of outputOnly) delete json[key];
  return stringify(json);
}

/** A definition from YAML; throws a message for a person when it is not one. */
export function fromYaml(text: string): Service {
  try {
    return fromJson(ServiceSchema, parse(text) as JsonObject);
  } catch (err) {
    throw new Error(`Not a valid definition: ${(err as Error).message}`);
  }
}

/** The 1-based line of the YAML key a server field path (`service.ports[0].host_ip`) starts with. */
export function lineOf(yaml: string, field: string): number | undefined {
  const key = topField(field);
  const index = yaml.split("\n").findIndex((line) => line.startsWith(`${key}:`));
  return index < 0 ? undefined : index + 1;
}
