import type Docker from "dockerode";
import { DockhandError } from "../../model/dockhand-error.js";
import type { EngineCall } from "./docker-deadline.js";
import { toEngineError } from "./docker-errors.js";
import type { NetworkControl } from "../network-control.js";
import type { NetworkDetails, VolumeDetails } from "../types.js";
import type { VolumeControl } from "../volume-control.js";

function engineTime(raw: string | undefined): Date | undefined {
  if (!raw || raw.startsWith("0001-")) return undefined;
  const date = new Date(raw);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function toVolume(
  info: Pick<Docker.VolumeInspectInfo, "Name" | "Driver" | "Labels" | "Mountpoint"> & { CreatedAt?: string },
): VolumeDetails {
  return {
    name: info.Name,
    driver: info.Driver,
    labels: info.Labels ?? {},
    mountpoint: info.Mountpoint,
    createdAt: engineTime(info.CreatedAt),
  };
}

function toNetwork(info: Docker.NetworkInspectInfo): NetworkDetails {
  return {
    id: info.Id,
    name: info.Name,
    driver: info.Driver,
    scope: info.Scope,
    internal: info.Internal,
    labels: info.Labels ?? {},
    createdAt: engineTime(info.Created),
    containers: Object.entries(info.Containers ?? {})
      .map(([id, c]) => ({ id, name: c.Name, ipv4: (c.IPv4Address ?? "").replace(/\/\d+$/, "") }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/**
 * The engine answers some refusals about networks with 403 (a network with endpoints, a
 * container already attached): a conflict of state, not a matter of permission.
 */
async function stateful<T>(
  call: EngineCall,
  operation: string,
  signal: AbortSignal | undefined,
  run: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  try {
    return await call(operation, signal, run);
  } catch (err) {
    const engineError = toEngineError(err, operation);
    if (engineError.kind !== "PermissionDenied") throw engineError;
    throw new DockhandError("Conflict", engineError.message, { cause: err });
  }
}

/** Volumes and networks backed by dockerode. */
export function createDockerResourceControl(
  docker: Docker,
  call: EngineCall,
): { volumes: VolumeControl; networks: NetworkControl } {
  const labelFilters = (labels: string[] | undefined) => (labels?.length ? { label: labels } : {});
  const inspectNetwork = (idOrName: string, signal?: AbortSignal) =>
    call(`inspect network ${idOrName}`, signal, async (abortSignal) => {
      const network = docker.getNetwork(idOrName) as unknown as {
        inspect(options: { abortSignal?: AbortSignal }): Promise<Docker.NetworkInspectInfo>;
      };
      return toNetwork(await network.inspect({ abortSignal }));
    });
  const volumes: VolumeControl = {
    create: (spec, signal) =>
      call(`create volume ${spec.name}`, signal, async (abortSignal) => {
        await docker.createVolume({ Name: spec.name, Labels: spec.labels, abortSignal });
        return toVolume(
          (await docker.getVolume(spec.name).inspect({ abortSignal })) as Docker.VolumeInspectInfo & {
            CreatedAt?: string;
          },
        );
      }),
    inspect: (name, signal) =>
      call(`inspect volume ${name}`, signal, async (abortSignal) =>
        toVolume(
          (await docker.getVolume(name).inspect({ abortSignal })) as Docker.VolumeInspectInfo & { CreatedAt?: string },
        ),
      ),
    list: (query, signal) =>
      call("list volumes", signal, async (abortSignal) => {
        const answer = await docker.listVolumes({
          filters: labelFilters(query.labels),
          abortSignal,
        } as Docker.VolumeListOptions);
        return (answer.Volumes ?? [])
          .map((v) => toVolume(v as Docker.VolumeInspectInfo & { CreatedAt?: string }))
          .sort((a, b) => a.name.localeCompare(b.name));
      }),
    remove: (name, signal) =>
      call(
        `remove volume ${name}`,
        signal,
        async (abortSignal) => void (await docker.getVolume(name).remove({ abortSignal })),
      ),
  };
  const networks: NetworkControl = {
    create: (spec, signal) =>
      call(`create network ${spec.name}`, signal, async (abortSignal) => {
        try {
          await docker.createNetwork({
            Name: spec.name,
            CheckDuplicate: true,
            Driver: "bridge",
            Internal: spec.internal,
            Labels: spec.labels,
            abortSignal,
          });
        } catch (err) {
          const engineError = toEngineError(err, `create network ${spec.name}`);
          if (engineError.kind !== "Conflict") throw engineError;
          throw new DockhandError("AlreadyExists", engineError.message, { cause: err, details: { field: "name" } });
        }
        return inspectNetwork(spec.name, abortSignal);
      }),
    inspect: inspectNetwork,
    list: (query, signal) =>
      call("list networks", signal, async (abortSignal) => {
        const list = await docker.listNetworks({
          filters: labelFilters(query.labels),
          abortSignal,
        } as Docker.NetworkListOptions);
        return list.map(toNetwork).sort((a, b) => a.name.localeCompare(b.name));
      }),
    remove: (idOrName, signal) =>
      stateful(
        call,
        `remove network ${idOrName}`,
        signal,
        async (abortSignal) => void (await docker.getNetwork(idOrName).remove({ abortSignal })),
      ),
    connect: (idOrName, container, aliases, signal) =>
      stateful(call, `connect container ${container} to network ${idOrName}`, signal, async (abortSignal) => {
        const network = docker.getNetwork(idOrName) as unknown as { connect(options: object): Promise<unknown> };
        await network.connect({ Container: container, EndpointConfig: { Aliases: aliases }, abortSignal });
      }),
    disconnect: (idOrName, container, force, signal) =>
      stateful(call, `disconnect container ${container} from network ${idOrName}`, signal, async (abortSignal) => {
        const network = docker.getNetwork(idOrName) as unknown as { disconnect(options: object): Promise<unknown> };
        await network.disconnect({ Container: container, Force: force, abortSignal });
      }),
  };
  return { volumes, networks };
}
