import type Docker from "dockerode";
import { DockhandError } from "../../model/dockhand-error.js";
import type { SwarmEngine, SwarmFileObject, SwarmFileObjects, SwarmNetwork } from "../swarm.js";
import { toEngineError } from "./docker-errors.js";
import type { EngineCall } from "./docker-deadline.js";

interface DockerNetworkJson {
  Id?: string;
  ID?: string;
  Name?: string;
  Driver?: string;
  Scope?: string;
  Attachable?: boolean;
  Labels?: Record<string, string> | null;
}

interface DockerFileObjectJson {
  ID: string;
  Spec?: { Name?: string; Labels?: Record<string, string> };
}

function toNetwork(json: DockerNetworkJson): SwarmNetwork {
  return {
    id: json.Id ?? json.ID ?? "",
    name: json.Name ?? "",
    driver: json.Driver ?? "",
    scope: json.Scope ?? "",
    attachable: json.Attachable ?? false,
    labels: json.Labels ?? {},
  };
}

const toFileObject = (json: DockerFileObjectJson): SwarmFileObject => ({
  id: json.ID,
  name: json.Spec?.Name ?? "",
  labels: json.Spec?.Labels ?? {},
});

/** A name in use answers 409: AlreadyExists, as the orchestrator expects of a create. */
function created(err: unknown, operation: string): DockhandError {
  const engineError = toEngineError(err, operation);
  if (engineError.kind !== "Conflict") return engineError;
  return new DockhandError("AlreadyExists", engineError.message, { cause: err, details: { field: "name" } });
}

/** Swarm refuses to remove a secret or config a service uses with a 400 whose only mark is its text. */
function removed(err: unknown, operation: string): DockhandError {
  const engineError = toEngineError(err, operation);
  if (/in use by/.test(engineError.message))
    return new DockhandError("FailedPrecondition", engineError.message, { cause: err });
  return engineError;
}

export function dockerSwarmNetworks(docker: Docker, timed: EngineCall): SwarmEngine["networks"] {
  return {
    inspect: (idOrName, signal) =>
      timed(`inspect network ${idOrName}`, signal, async (abortSignal) =>
        toNetwork(
          (await docker.getNetwork(idOrName).inspect({ abortSignal } as never)) as unknown as DockerNetworkJson,
        ),
      ),
    createOverlay: (spec, signal) =>
      timed(`create overlay network ${spec.name}`, signal, async (abortSignal) => {
        try {
          const network = await docker.createNetwork({
            Name: spec.name,
            Driver: "overlay",
            Attachable: true,
            CheckDuplicate: true,
            Labels: spec.labels,
            abortSignal,
          } as never);
          return network.id;
        } catch (err) {
          throw created(err, `create overlay network ${spec.name}`);
        }
      }),
    list: (labels, signal) =>
      timed("list networks", signal, async (abortSignal) => {
        const networks = (await docker.listNetworks({
          filters: { label: [...labels] },
          abortSignal,
        } as never)) as unknown as DockerNetworkJson[];
        return networks.map(toNetwork);
      }),
    remove: (id, signal) =>
      timed(`remove network ${id}`, signal, async (abortSignal) => {
        await docker.getNetwork(id).remove({ abortSignal } as never);
      }),
  };
}

/** Secrets or configs: the same three calls under two names. */
export function dockerSwarmFileObjects(docker: Docker, timed: EngineCall, kind: "secret" | "config"): SwarmFileObjects {
  const api = docker as unknown as {
    listSecrets(options: object): Promise<DockerFileObjectJson[]>;
    listConfigs(options: object): Promise<DockerFileObjectJson[]>;
    createSecret(options: object): Promise<{ id: string }>;
    createConfig(options: object): Promise<{ id: string }>;
    getSecret(id: string): { remove(options: object): Promise<unknown> };
    getConfig(id: string): { remove(options: object): Promise<unknown> };
  };
  const list = kind === "secret" ? api.listSecrets.bind(api) : api.listConfigs.bind(api);
  const create = kind === "secret" ? api.createSecret.bind(api) : api.createConfig.bind(api);
  const get = kind === "secret" ? api.getSecret.bind(api) : api.getConfig.bind(api);
  return {
    list: (labels, signal) =>
      timed(`list swarm ${kind}s`, signal, async (abortSignal) =>
        (await list({ filters: { label: [...labels] }, abortSignal })).map(toFileObject),
      ),
    create: (spec, signal) =>
      // The operation names the object, never its value.
      timed(`create swarm ${kind} ${spec.name}`, signal, async (abortSignal) => {
        try {
          const made = await create({
            Name: spec.name,
            Labels: spec.labels,
            Data: Buffer.from(spec.data).toString("base64"),
            abortSignal,
          });
          return made.id;
        } catch (err) {
          throw created(err, `create swarm ${kind} ${spec.name}`);
        }
      }),
    remove: (id, signal) =>
      timed(`remove swarm ${kind} ${id}`, signal, async (abortSignal) => {
        try {
          await get(id).remove({ abortSignal });
        } catch (err) {
          throw removed(err, `remove swarm ${kind} ${id}`);
        }
      }),
  };
}
