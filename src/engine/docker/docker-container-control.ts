import type Docker from "dockerode";
import { DockhandError, isDockhandError } from "../../model/dockhand-error.js";
import type { ContainerControl } from "../container-control.js";
import type { NetworkControl } from "../network-control.js";
import { tarOf } from "../tar-writer.js";
import type { ContainerDescription } from "../types.js";
import { toDescription } from "./docker-container-mapping.js";
import type { DeadlineRunner } from "./docker-deadline.js";
import { engineCall as call, toEngineError } from "./docker-errors.js";
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
  timed: DeadlineRunner;
  /** Attaches a new container to the networks after its first. */
  networks: Pick<NetworkControl, "connect">;
}

/** ContainerControl backed by dockerode. */
export function createDockerContainerControl({ docker, timed, networks }: DockerContainerControlDeps): ContainerControl {
  const describe = (id: string, signal?: AbortSignal) =>
    call(`inspect container ${id}`, async () =>
      toDescription(await docker.getContainer(id).inspect({ abortSignal: signal })),
    );

  return {
    list: (query, signal) =>
      timed("list containers", signal, (abortSignal) =>
        call("list containers", async () => {
          const filters: Record<string, string[]> = {};
          if (query.labels?.length) filters.label = query.labels;
          if (query.name) filters.name = [query.name];
          const infos = await docker.listContainers({ all: query.all, filters, abortSignal });
          return infos.map(toSummary);
        }),
      ),
    inspect: (id, signal) =>
      timed(`inspect container ${id}`, signal, (abortSignal) =>
        call(`inspect container ${id}`, async () => toDetails(await docker.getContainer(id).inspect({ abortSignal }))),
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
      timed(`create container ${spec.name ?? ""}`, signal, async (abortSignal) => {
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
            await docker.getContainer(id).remove({ force: true, v: true }).catch(() => undefined);
            throw err;
          }
        }
        return id;
      }),
    start: (id, signal) =>
      timed(`start container ${id}`, signal, (abortSignal) =>
        call(`start container ${id}`, async () => void (await docker.getContainer(id).start({ abortSignal })), { refusal: "FailedPrecondition" }),
      ),
    stop: (id, graceSeconds, signal) =>
      timed(
        `stop container ${id}`,
        signal,
        (abortSignal) => call(`stop container ${id}`, async () => void (await docker.getContainer(id).stop({ t: graceSeconds, abortSignal }))),
        graceSeconds * 1000,
      ),
    restart: (id, graceSeconds, signal) =>
      call(
        `restart container ${id}`,
        async () => void (await docker.getContainer(id).restart({ t: graceSeconds, abortSignal: signal })),
        { refusal: "FailedPrecondition" },
      ),
    kill: (id, killSignal, signal) =>
      call(`kill container ${id} with ${killSignal}`, async () =>
        void (await docker.getContainer(id).kill({ signal: killSignal, abortSignal: signal })),
      ),
    pause: (id, signal) =>
      call(`pause container ${id}`, async () => void (await docker.getContainer(id).pause({ abortSignal: signal }))),
    unpause: (id, signal) =>
      call(`unpause container ${id}`, async () =>
        void (await docker.getContainer(id).unpause({ abortSignal: signal })),
      ),
    wait: (id, signal) =>
      call(`wait for container ${id}`, async () => {
        const result = (await docker
          .getContainer(id)
          .wait({ condition: "not-running", abortSignal: signal })) as { StatusCode: number; Error?: { Message?: string } | null };
        return { exitCode: result.StatusCode, error: result.Error?.Message ?? "" };
      }),
    remove: (id, removeOptions, signal) =>
      timed(`remove container ${id}`, signal, (abortSignal) =>
        call(`remove container ${id}`, async () =>
          void (await docker.getContainer(id).remove({ force: removeOptions.force, v: removeOptions.volumes, abortSignal })),
        ),
      ),
    rename: (id, name, signal) =>
      timed(`rename container ${id}`, signal, async (abortSignal) => {
        try {
          await docker.getContainer(id).rename({ name, abortSignal });
        } catch (err) {
          throw nameConflict(err, `rename container ${id} to ${name}`);
        }
      }),
    copyFiles: (id, files, signal) =>
      timed(`copy files into container ${id}`, signal, (abortSignal) =>
        call(`copy files into container ${id}`, async () => {
          const container = docker.getContainer(id) as unknown as { putArchive(file: Buffer, options: object): Promise<unknown> };
          await container.putArchive(tarOf(files), { path: "/", abortSignal });
        }),
      ),
    commit: (id, options, signal) =>
      call(`commit container ${id} as ${options.repository}:${options.tag}`, async () => {
        const committed = (await docker.getContainer(id).commit({
          repo: options.repository,
          tag: options.tag,
          comment: options.message,
          author: options.author,
          pause: options.pause,
          abortSignal: signal,
        })) as { Id: string };
        return toImageDetails(await docker.getImage(committed.Id).inspect());
      }),
  };
}
