import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DockerOptions } from "dockerode";
import { DockhandError } from "../../model/dockhand-error.js";

/**
 * Connection options for dockerode from a Docker URL: `unix:///var/run/docker.sock`,
 * `tcp://host:2375`, `http://host:2375` or `https://host:2376`. With `certPath`
 * (`ca.pem`, `cert.pem`, `key.pem`, as DOCKER_CERT_PATH) a tcp URL uses TLS.
 */
export function dockerOptionsFromUrl(url: string, certPath?: string): DockerOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new DockhandError("InvalidArgument", `docker url "${url}" is not a URL`, { cause });
  }
  if (parsed.protocol === "unix:") {
    if (parsed.pathname === "") {
      throw new DockhandError("InvalidArgument", `docker url "${url}" names no socket path`);
    }
    return { socketPath: decodeURIComponent(parsed.pathname) };
  }
  if (!["tcp:", "http:", "https:"].includes(parsed.protocol)) {
    throw new DockhandError("InvalidArgument", `docker url "${url}": scheme must be unix, tcp, http or https`);
  }
  const tls = parsed.protocol === "https:" || (parsed.protocol === "tcp:" && !!certPath);
  const options: DockerOptions = {
    host: parsed.hostname,
    port: parsed.port === "" ? (tls ? 2376 : 2375) : Number(parsed.port),
    protocol: tls ? "https" : "http",
  };
  if (tls && certPath) {
    options.ca = readFileSync(join(certPath, "ca.pem"));
    options.cert = readFileSync(join(certPath, "cert.pem"));
    options.key = readFileSync(join(certPath, "key.pem"));
  }
  return options;
}
