import type { Engine } from "../../engine/engine.js";
import { checkContainerRef, labelFilters } from "../../rpc/container-agent/container-refs.js";
import { checkTaggedRef } from "../../rpc/container-agent/images.js";
import { inspectShape } from "./docker-inspect-shape.js";
import { member, RpcMethodError, unmarshalError } from "./json-rpc-envelope.js";
import { asMethodError, checkedInput } from "./mistify-errors.js";

type Method = (param: unknown, signal: AbortSignal) => Promise<unknown>;
type ContainerMethods = "ListContainers" | "GetContainer" | "SaveContainer";

function objectOf(value: unknown, goType: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw unmarshalError(value, goType);
  return value as Record<string, unknown>;
}

function typed<T>(value: unknown, kind: "string" | "boolean" | "number", fallback: T, goType: string): T {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== kind) throw unmarshalError(value, goType);
  return value as T;
}

/** The `label` and `name` filters of Docker's list, the ones dockhand's engine module takes. */
function filtersOf(raw: unknown): { labels: string[]; names: string[] } {
  const filters = objectOf(raw, "map[string][]string");
  const lists = Object.entries(filters).map(([key, values]) => {
    if (!Array.isArray(values) || values.some((v) => typeof v !== "string")) throw unmarshalError(values, "[]string");
    if (key !== "label" && key !== "name")
      throw new RpcMethodError(`filter "${key.slice(0, 40)}" is not supported; use label or name`);
    return [key, values as string[]] as const;
  });
  return {
    labels: checkedInput(() =>
      labelFilters(
        lists.filter(([k]) => k === "label").flatMap(([, v]) => v),
        "opts.Filters.label",
      ),
    ),
    names: lists.filter(([k]) => k === "name").flatMap(([, v]) => v),
  };
}

/** MDocker's container queries and commit, over the engine module the ContainerAgent uses. */
export function createContainerMethods(engine: Engine): Record<ContainerMethods, Method> {
  return {
    async ListContainers(param, signal) {
      const opts = objectOf(member(objectOf(param, "rpc.ContainerRequest"), "opts"), "docker.ListContainersOptions");
      const limit = typed(member(opts, "Limit"), "number", 0, "int");
      const all = typed(member(opts, "All"), "boolean", false, "bool") || limit > 0;
      const { labels, names } = filtersOf(member(opts, "Filters"));
      const listed = await asMethodError({}, () => engine.containers.list({ all, labels }, signal));
      const matching = listed
        .filter((c) => names.length === 0 || names.some((n) => c.name.includes(n)))
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
      // A container removed between the list and its inspect is left out, not a failure of the whole call.
      const described = await asMethodError({}, () =>
        engine.containers.describeMany(
          (limit > 0 ? matching.slice(0, limit) : matching).map((c) => c.id),
          signal,
        ),
      );
      return { containers: described.map(inspectShape) };
    },
    async GetContainer(param, signal) {
      const id = typed(member(objectOf(param, "rpc.ContainerRequest"), "id"), "string", "", "string");
      checkedInput(() => checkContainerRef(id, "id"));
      const container = await asMethodError({ container: id }, () => engine.containers.describe(id, signal));
      return { containers: [inspectShape(container)] };
    },
    async SaveContainer(param, signal) {
      const request = objectOf(param, "rpc.ContainerRequest");
      const opts = objectOf(member(request, "opts"), "docker.CommitContainerOptions");
      const text = (key: string) => typed(member(opts, key), "string", "", "string");
      const id = typed(member(request, "id"), "string", "", "string") || text("Container");
      checkedInput(() => checkContainerRef(id, "id"));
      const tag = text("Tag") || "latest";
      checkedInput(() => checkTaggedRef(`${text("Repository")}:${tag}`, "opts.Repository"));
      const image = await asMethodError({ container: id }, () =>
        engine.containers.commit(
          id,
          { repository: text("Repository"), tag, message: text("Message"), author: text("Author"), pause: true },
          signal,
        ),
      );
      return { images: [{ id: image.id, type: "container", size: Math.floor(image.sizeBytes / (1024 * 1024)) }] };
    },
  };
}
