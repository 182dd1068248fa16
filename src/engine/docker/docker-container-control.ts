/** The containers group over dockerode: list, inspect, create, the state changes, remove, rename, copy files and commit. */
import type Docker from "dockerode";
import { DockhandError, isDockhandError } from "../../model/dockhand-error.js";
import type { ContainerControl } from "../container-control.js";
import type { NetworkControl } from "../network-control.js";
import { tarOf } from "../tar-writer.js";
import type { ContainerDescription } from "../types.js";
import { toDescription } from "./docker-container-mapping.js";
import type { EngineCall } from "./docker-deadline.js";
import { engineCall, toEngineError } from "./docker-errors.js";
import { toCreateOptions, toDetails, toImageDetails, toSummary } from "./docker-mapping.js";

/** Inspects at once at most this many containers: enough to hide latency, few enough for one engine. */
const describeConcurrency = 8;

/** A create or rename that the engine refuses with 409 is a name already in use. */
function nameConflict(err: unknown, operation: string): DockhandError {
  const engineError = toEngineError(err, operation);
  if (engineError.kind !== "Conflict") return engineError;
  return new DockhandError("AlreadyExists", engineError.message, { cause: err, details: { field: "name" } });
}

export interface DockerContainerControlDeps {
  docker: Docker;
  /** Runs each call under the engine's default deadline when its caller gives no signal. */
  call: EngineCall;
  /** Attaches a new container to the networks after its first. */
  networks: Pick<NetworkControl, "connect">;
}

/** ContainerControl backed by dockerode. */
export function createDockerContainerControl({ docker, call, networks }: DockerContainerControlDeps): ContainerControl {
  const container = (id: string) => docker.getContainer(id);
  const describe = (id: string, signal?: AbortSignal) =>
    call(`inspect container ${id}`, signal, async (abortSignal) =>
      toDescription(await container(id).inspect({ abortSignal })),
    );

  return {
    list: (query, signal) =>
      call("list containers", signal, async (abortSignal) => {
        const filters: Record<string, string[]> = {};
        if (query.labels?.length) filters.label = query.labels;
        if (query.name) filters.name = [query.name];
        const infos = await docker.listContainers({ all: query.all, filters, abortSignal });
        return infos.map(toSummary);
      }),
    inspect: (id, signal) =>
      call(`inspect container ${id}`, signal, async (abortSignal) =>
        toDetails(await container(id).inspect({ abortSignal })),
      ),
    describe,
    describeMany: async (ids, signal) => {
      const found: Array<ContainerDescription | undefined> = new Array(ids.length);
      let next = 0;
      const worker = async () => {
        while (next < ids.length) {
          const index = next++;
          try {
            found[index] = await describe(ids[index] as string, signal);
          } catch (err) {
            if (!isDockhandError(err, "NotFound")) throw err;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(describeConcurrency, ids.length) }, worker));
      return found.filter((description): description is ContainerDescription => description !== undefined);
    },
    create: (spec, signal) =>
      call(`create container ${spec.name ?? ""}`.trim(), signal, async (abortSignal) => {
        let id: string;
        try {
          id = (await docker.createContainer({ ...toCreateOptions(spec), abortSignal })).id;
        } catch (err) {
          throw nameConflict(err, `create container ${spec.name ?? ""}`.trim());
        }
        for (const attachment of (spec.networks ?? []).slice(1)) {
          try {
            await networks.connect(attachment.network, id, attachment.aliases, abortSignal);
          } catch (err) {
            await container(id)
              .remove({ force: true, v: true })
              .catch(() => undefined);
            throw err;
          }
        }
        return id;
      }),
    start: (id, signal) =>
      call(`start container ${id}`, signal, async (abortSignal) => void (await container(id).start({ abortSignal })), {
        refusal: "FailedPrecondition",
      }),
    stop: (id, graceSeconds, signal) =>
      call(
        `stop container ${id}`,
        signal,
        async (abortSignal) => void (await container(id).stop({ t: graceSeconds, abortSignal })),
        {
          extraMs: graceSeconds * 1000,
        },
      ),
    restart: (id, graceSeconds, signal) =>
      call(
        `restart container ${id}`,
        signal,
        async (abortSignal) => void (await container(id).restart({ t: graceSeconds, abortSignal })),
        {
          refusal: "FailedPrecondition",
          extraMs: graceSeconds * 1000,
        },
      ),
    kill: (id, killSignal, signal) =>
      call(
        `kill container ${id} with ${killSignal}`,
        signal,
        async (abortSignal) => void (await container(id).kill({ signal: killSignal, abortSignal })),
      ),
    pause: (id, signal) =>
      call(`pause container ${id}`, signal, async (abortSignal) => void (await container(id).pause({ abortSignal }))),
    unpause: (id, signal) =>
      call(
        `unpause container ${id}`,
        signal,
        async (abortSignal) => void (await container(id).unpause({ abortSignal })),
      ),
    // No deadline: it waits for the container's process to end, however long that takes.
    wait: (id, signal) =>
      engineCall(`wait for container ${id}`, async () => {
        const result = (await container(id).wait({ condition: "not-running", abortSignal: signal })) as {
          StatusCode: number;
          Error?: { Message?: string } | null;
        };
        return { exitCode: result.StatusCode, error: result.Error?.Message ?? "" };
      }),
    remove: (id, options, signal) =>
      call(
        `remove container ${id}`,
        signal,
        async (abortSignal) =>
          void (await container(id).remove({ force: options.force, v: options.volumes, abortSignal })),
      ),
    rename: (id, name, signal) =>
      call(`rename container ${id}`, signal, async (abortSignal) => {
        try {
          await container(id).rename({ name, abortSignal });
        } catch (err) {
          throw nameConflict(err, `rename container ${id} to ${name}`);
        }
      }),
    copyFiles: (id, files, signal) =>
      call(`copy files into container ${id}`, signal, async (abortSignal) => {
        const target = container(id) as unknown as { putArchive(file: Buffer, options: object): Promise<unknown> };
        await target.putArchive(tarOf(files), { path: "/", abortSignal });
      }),
    commit: (id, options, signal) =>
      call(`commit container ${id} as ${options.repository}:${options.tag}`, signal, async (abortSignal) => {
        const committed = (await container(id).commit({
          repo: options.repository,
          tag: options.tag,
          comment: options.message,
          author: options.author,
          pause: options.pause,
          abortSignal,
        })) as { Id: string };
        return toImageDetails(await docker.getImage(committed.Id).inspect());
      }),
  };
}
