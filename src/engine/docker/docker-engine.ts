/** The Engine over a real Docker engine: each group made by its docker-*.ts, sharing one dockerode client and one default deadline. */
import Docker from "dockerode";
import type { Engine } from "../engine.js";
import { createDockerContainerControl } from "./docker-container-control.js";
import { createDockerContainerStreams } from "./docker-container-streams.js";
import { createEngineCall } from "./docker-deadline.js";
import { createDockerEventStream } from "./docker-event-stream.js";
import { createDockerImageControl } from "./docker-image-control.js";
import { createDockerInteractive } from "./docker-interactive.js";
import { createDockerResourceControl } from "./docker-resource-control.js";
import { createDockerSystemControl } from "./docker-system-control.js";
import { dockerOptionsFromUrl } from "./docker-url.js";

export interface DockerEngineOptions {
  /** Docker URL. Default `unix:///var/run/docker.sock`. */
  url?: string;
  /** Folder with ca.pem, cert.pem and key.pem for TLS. Default: none. */
  certPath?: string;
  /**
   * Deadline of every non-streaming call when the caller passes no signal of its own, in ms;
   * stop and restart get their grace period on top. Streams, waits and image transfers (pull,
   * push, load) get none. Default 30000.
   */
  callTimeoutMs?: number;
}

/** The Engine backed by a real Docker engine through dockerode. */
export function createDockerEngine(options: DockerEngineOptions = {}): Engine & { readonly docker: Docker } {
  const docker = new Docker(dockerOptionsFromUrl(options.url ?? "unix:///var/run/docker.sock", options.certPath));
  const call = createEngineCall(options.callTimeoutMs ?? 30_000);
  const { volumes, networks } = createDockerResourceControl(docker, call);
  return {
    docker,
    containers: {
      ...createDockerContainerControl({ docker, call, networks }),
      ...createDockerContainerStreams(docker),
      ...createDockerInteractive(docker, call),
    },
    images: createDockerImageControl(docker, call),
    volumes,
    networks,
    events: createDockerEventStream(docker, call),
    system: createDockerSystemControl(docker, call),
  };
}
