import type Docker from "dockerode";
import type { SystemControl } from "../system-control.js";
import { engineCall as call } from "./docker-errors.js";
import { toEngineInfo } from "./docker-image-mapping.js";

/** The engine itself through dockerode: ping, and `docker info` with `docker version`. */
export function createDockerSystemControl(docker: Docker): SystemControl {
  // The typings miss these calls' options, which dockerode does honour.
  type WithSignal<T> = (options: { abortSignal?: AbortSignal }) => Promise<T>;
  return {
    ping: (signal) =>
      call("ping engine", async () => {
        const ping = docker.ping.bind(docker) as WithSignal<unknown>;
        await ping({ abortSignal: signal });
      }),
    info: (signal) =>
      call("read engine info", async () => {
        const info = docker.info.bind(docker) as WithSignal<Record<string, unknown>>;
        const version = docker.version.bind(docker) as WithSignal<Docker.DockerVersion>;
        const [infoAnswer, versionAnswer] = await Promise.all([info({ abortSignal: signal }), version({ abortSignal: signal })]);
        return toEngineInfo(infoAnswer, versionAnswer);
      }),
  };
}
