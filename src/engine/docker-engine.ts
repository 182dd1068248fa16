import Docker from "dockerode";
import { DockhandError } from "../errors/dockhand-error.js";
import type { Engine } from "./engine.js";
import { createDockerContainerControl } from "./docker-container-control.js";
import { createDockerContainerStreams } from "./docker-container-streams.js";
import { engineCall as call, toEngineError } from "./docker-errors.js";
import { createDockerEventStream } from "./docker-event-stream.js";
import { createDockerImageControl } from "./docker-image-control.js";
import { toCreateOptions, toDetails, toImageDetails, toSummary } from "./docker-mapping.js";
import { dockerOptionsFromUrl } from "./docker-url.js";

export interface DockerEngineOptions {
  /** Docker URL. Default `unix:///var/run/docker.sock`. */
  url?: string;
  /** Folder with ca.pem, cert.pem and key.pem for TLS. Default: none. */
  certPath?: string;
}

/** The Engine backed by a real Docker engine through dockerode. */
export function createDockerEngine(options: DockerEngineOptions = {}): Engine & { readonly docker: Docker } {
  const docker = new Docker(dockerOptionsFromUrl(options.url ?? "unix:///var/run/docker.sock", options.certPath));

  return {
    docker,
    ...createDockerContainerControl(docker),
    ...createDockerContainerStreams(docker),
    ...createDockerEventStream(docker),
    ...createDockerImageControl(docker),
    ping: (signal) =>
      call("ping engine", async () => {
        // The typings miss ping's options, which dockerode does honour.
        const ping = docker.ping.bind(docker) as (options: { abortSignal?: AbortSignal }) => Promise<unknown>;
        await ping({ abortSignal: signal });
      }),
    listContainers: (query, signal) =>
      call("list containers", async () => {
        const filters: Record<string, string[]> = {};
        if (query.labels?.length) filters.label = query.labels;
        if (query.name) filters.name = [query.name];
        const infos = await docker.listContainers({ all: query.all, filters, abortSignal: signal });
        return infos.map(toSummary);
      }),
    inspectContainer: (id, signal) =>
      call(`inspect container ${id}`, async () =>
        toDetails(await docker.getContainer(id).inspect({ abortSignal: signal })),
      ),
    createContainer: async (spec, signal) => {
      try {
        const container = await docker.createContainer({ ...toCreateOptions(spec), abortSignal: signal });
        return container.id;
      } catch (err) {
        const engineError = toEngineError(err, `create container ${spec.name ?? ""}`.trim());
        // On create, the engine's only conflict is a name already in use.
        if (engineError.kind !== "Conflict") throw engineError;
        throw new DockhandError("AlreadyExists", engineError.message, { cause: err, details: { field: "name" } });
      }
    },
    startContainer: (id, signal) =>
      call(`start container ${id}`, async () => void (await docker.getContainer(id).start({ abortSignal: signal }))),
    stopContainer: (id, graceSeconds, signal) =>
      call(`stop container ${id}`, async () =>
        void (await docker.getContainer(id).stop({ t: graceSeconds, abortSignal: signal })),
      ),
    renameContainer: async (id, name, signal) => {
      try {
        await docker.getContainer(id).rename({ name, abortSignal: signal });
      } catch (err) {
        const engineError = toEngineError(err, `rename container ${id} to ${name}`);
        if (engineError.kind !== "Conflict") throw engineError;
        throw new DockhandError("AlreadyExists", engineError.message, { cause: err, details: { field: "name" } });
      }
    },
    removeContainer: (id, removeOptions, signal) =>
      call(`remove container ${id}`, async () =>
        void (await docker
          .getContainer(id)
          .remove({ force: removeOptions.force, v: removeOptions.volumes, abortSignal: signal })),
      ),
    // dockerode's image inspect takes no abort signal; it is a quick local lookup.
    inspectImage: (ref) =>
      call(`inspect image ${ref}`, async () => toImageDetails(await docker.getImage(ref).inspect())),
  };
}
