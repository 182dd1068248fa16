/** The system group over dockerode: ping, and `docker info` with `docker version`. */
import type Docker from "dockerode";
import type { SystemControl } from "../system-control.js";
import type { EngineCall } from "./docker-deadline.js";
import { toEngineInfo } from "./docker-image-mapping.js";

export function createDockerSystemControl(docker: Docker, call: EngineCall): SystemControl {
  // The typings miss these calls' options, which dockerode does honour.
  type WithSignal<T> = (options: { abortSignal?: AbortSignal }) => Promise<T>;
  return {
    ping: (signal) =>
      call("ping engine", signal, async (abortSignal) => {
        const ping = docker.ping.bind(docker) as WithSignal<unknown>;
        await ping({ abortSignal });
      }),
    info: (signal) =>
      call("read engine info", signal, async (abortSignal) => {
        const info = docker.info.bind(docker) as WithSignal<Record<string, unknown>>;
        const version = docker.version.bind(docker) as WithSignal<Docker.DockerVersion>;
        const [infoAnswer, versionAnswer] = await Promise.all([info({ abortSignal }), version({ abortSignal })]);
        return toEngineInfo(infoAnswer, versionAnswer);
      }),
  };
}
