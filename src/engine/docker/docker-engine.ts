import Docker from "dockerode";
import { DockhandError } from "../../model/dockhand-error.js";
import type { Engine } from "../engine.js";
import { createDockerContainerControl } from "./docker-container-control.js";
import { createDockerContainerStreams } from "./docker-container-streams.js";
import { engineCall as call, toEngineError } from "./docker-errors.js";
import { createDockerEventStream } from "./docker-event-stream.js";
import { createDockerImageControl } from "./docker-image-control.js";
import { createDockerResourceControl } from "./docker-resource-control.js";
import { toCreateOptions, toDetails, toImageDetails, toSummary } from "./docker-mapping.js";
import { dockerOptionsFromUrl } from "./docker-url.js";
import { tarOf } from "../tar-writer.js";

export interface DockerEngineOptions {
  /** Docker URL. Default `unix:///var/run/docker.sock`. */
  url?: string;
  /** Folder with ca.pem, cert.pem and key.pem for TLS. Default: none. */
  certPath?: string;
  /**
   * Deadline of a core call (list, inspect, create, start, remove, rename; stop gets its grace
   * period on top) when the caller passes no signal of its own, in ms. Default 30000. A hung
   * engine then fails the call with Timeout instead of holding it, and the service's lock,
   * forever. dockerode's own `timeout` option is not used: it is an idle timeout on every
   * request and would also cut quiet follow streams.
   */
  callTimeoutMs?: number;
}

/** A create or rename that the engine refuses with 409 is a name already in use. */
function nameConflict(err: unknown, operation: string): DockhandError {
  const engineError = toEngineError(err, operation);
  if (engineError.kind !== "Conflict") return engineError;
  return new DockhandError("AlreadyExists", engineError.message, { cause: err, details: { field: "name" } });
}

/** The Engine backed by a real Docker engine through dockerode. */
export function createDockerEngine(options: DockerEngineOptions = {}): Engine & { readonly docker: Docker } {
  const docker = new Docker(dockerOptionsFromUrl(options.url ?? "unix:///var/run/docker.sock", options.certPath));
  const callTimeoutMs = options.callTimeoutMs ?? 30_000;
  const resources = createDockerResourceControl(docker);

  /** Runs a call with the caller's signal, or with a deadline of its own that fails as Timeout. */
  async function timed<T>(operation: string, signal: AbortSignal | undefined, run: (signal: AbortSignal) => Promise<T>, extraMs = 0): Promise<T> {
    if (signal) return run(signal);
    const deadline = AbortSignal.timeout(callTimeoutMs + extraMs);
    try {
      return await run(deadline);
    } catch (err) {
      if (!deadline.aborted) throw err;
      throw new DockhandError("Timeout", `${operation}: the Docker engine did not answer within ${(callTimeoutMs + extraMs) / 1000} s`, { cause: err });
    }
  }

  return {
    docker,
    ...createDockerContainerControl(docker),
    ...createDockerContainerStreams(docker),
    ...createDockerEventStream(docker),
    ...createDockerImageControl(docker),
    ...resources,
    ping: (signal) =>
      call("ping engine", async () => {
        // The typings miss ping's options, which dockerode does honour.
        const ping = docker.ping.bind(docker) as (options: { abortSignal?: AbortSignal }) => Promise<unknown>;
        await ping({ abortSignal: signal });
      }),
    listContainers: (query, signal) =>
      timed("list containers", signal, (abortSignal) =>
        call("list containers", async () => {
          const filters: Record<string, string[]> = {};
          if (query.labels?.length) filters.label = query.labels;
          if (query.name) filters.name = [query.name];
          const infos = await docker.listContainers({ all: query.all, filters, abortSignal });
          return infos.map(toSummary);
        }),
      ),
    inspectContainer: (id, signal) =>
      timed(`inspect container ${id}`, signal, (abortSignal) =>
        call(`inspect container ${id}`, async () => toDetails(await docker.getContainer(id).inspect({ abortSignal }))),
      ),
    createContainer: (spec, signal) =>
      timed(`create container ${spec.name ?? ""}`, signal, async (abortSignal) => {
        let id: string;
        try {
          id = (await docker.createContainer({ ...toCreateOptions(spec), abortSignal })).id;
        } catch (err) {
          throw nameConflict(err, `create container ${spec.name ?? ""}`.trim());
        }
        for (const attachment of (spec.networks ?? []).slice(1)) {
          try {
            await resources.connectNetwork(attachment.network, id, attachment.aliases, abortSignal);
          } catch (err) {
            await docker.getContainer(id).remove({ force: true, v: true }).catch(() => undefined);
            throw err;
          }
        }
        return id;
      }),
    startContainer: (id, signal) =>
      timed(`start container ${id}`, signal, (abortSignal) =>
        call(`start container ${id}`, async () => void (await docker.getContainer(id).start({ abortSignal })), { refusal: "FailedPrecondition" }),
      ),
    stopContainer: (id, graceSeconds, signal) =>
      timed(
        `stop container ${id}`,
        signal,
        (abortSignal) => call(`stop container ${id}`, async () => void (await docker.getContainer(id).stop({ t: graceSeconds, abortSignal }))),
        graceSeconds * 1000,
      ),
    copyFilesToContainer: (id, files, signal) =>
      timed(`copy files into container ${id}`, signal, (abortSignal) =>
        call(`copy files into container ${id}`, async () => {
          const container = docker.getContainer(id) as unknown as { putArchive(file: Buffer, options: object): Promise<unknown> };
          await container.putArchive(tarOf(files), { path: "/", abortSignal });
        }),
      ),
    renameContainer: (id, name, signal) =>
      timed(`rename container ${id}`, signal, async (abortSignal) => {
        try {
          await docker.getContainer(id).rename({ name, abortSignal });
        } catch (err) {
          throw nameConflict(err, `rename container ${id} to ${name}`);
        }
      }),
    removeContainer: (id, removeOptions, signal) =>
      timed(`remove container ${id}`, signal, (abortSignal) =>
        call(`remove container ${id}`, async () =>
          void (await docker.getContainer(id).remove({ force: removeOptions.force, v: removeOptions.volumes, abortSignal })),
        ),
      ),
    // dockerode's image inspect takes no abort signal; it is a quick local lookup.
    inspectImage: (ref) =>
      call(`inspect image ${ref}`, async () => toImageDetails(await docker.getImage(ref).inspect())),
  };
}
