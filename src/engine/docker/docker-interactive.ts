/** ContainerInteractive over dockerode: hijacked exec and attach connections, and the archive API. */
import type Docker from "dockerode";
import type { ContainerInteractive } from "../container-interactive.js";
import { createDockerArchive } from "./docker-archive.js";
import { attachDocker } from "./docker-attach.js";
import type { EngineCall } from "./docker-deadline.js";
import { openDockerExec } from "./docker-exec-session.js";

export function createDockerInteractive(docker: Docker, call: EngineCall): ContainerInteractive {
  return {
    openExec: (id, options, signal) => openDockerExec(docker, call, id, options, signal),
    attach: (id, options, signal) => attachDocker(docker, call, id, options, signal),
    ...createDockerArchive(docker, call),
  };
}
