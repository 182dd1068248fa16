import type Docker from "dockerode";
import { isDockhandError } from "../../model/dockhand-error.js";
import type { ContainerControl } from "../container-control.js";
import { engineCall as call } from "./docker-errors.js";
import { toDescription } from "./docker-container-mapping.js";
import { toImageDetails } from "./docker-mapping.js";
import type { ContainerDescription } from "../types.js";

/** Inspects at once at most this many containers: enough to hide latency, few enough for one engine. */
const describeConcurrency = 8;

/** ContainerControl backed by dockerode. */
export function createDockerContainerControl(docker: Docker): ContainerControl {
  const describeContainer = (id: string, signal?: AbortSignal) =>
    call(`inspect container ${id}`, async () =>
      toDescription(await docker.getContainer(id).inspect({ abortSignal: signal })),
    );

  return {
    describeContainer,
    describeContainers: async (ids, signal) => {
      const found: Array<ContainerDescription | undefined> = new Array(ids.length);
      let next = 0;
      const worker = async () => {
        while (next < ids.length) {
          const index = next++;
          try {
            found[index] = await describeContainer(ids[index] as string, signal);
          } catch (err) {
            if (!isDockhandError(err, "NotFound")) throw err;
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(describeConcurrency, ids.length) }, worker));
      return found.filter((description): description is ContainerDescription => description !== undefined);
    },
    restartContainer: (id, graceSeconds, signal) =>
      call(
        `restart container ${id}`,
        async () => void (await docker.getContainer(id).restart({ t: graceSeconds, abortSignal: signal })),
        { refusal: "FailedPrecondition" },
      ),
    killContainer: (id, killSignal, signal) =>
      call(`kill container ${id} with ${killSignal}`, async () =>
        void (await docker.getContainer(id).kill({ signal: killSignal, abortSignal: signal })),
      ),
    pauseContainer: (id, signal) =>
      call(`pause container ${id}`, async () => void (await docker.getContainer(id).pause({ abortSignal: signal }))),
    unpauseContainer: (id, signal) =>
      call(`unpause container ${id}`, async () =>
        void (await docker.getContainer(id).unpause({ abortSignal: signal })),
      ),
    waitContainer: (id, signal) =>
      call(`wait for container ${id}`, async () => {
        const result = (await docker
          .getContainer(id)
          .wait({ condition: "not-running", abortSignal: signal })) as { StatusCode: number; Error?: { Message?: string } | null };
        return { exitCode: result.StatusCode, error: result.Error?.Message ?? "" };
      }),
    commitContainer: (id, options, signal) =>
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
