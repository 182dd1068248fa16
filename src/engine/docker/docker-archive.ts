/** The engine's archive API: put a tar into a container, get a path out of one as a tar, stat a path. */
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import type Docker from "dockerode";
import { DockhandError } from "../../model/dockhand-error.js";
import type { ContainerInteractive, PathStat } from "../container-interactive.js";
import type { EngineCall } from "./docker-deadline.js";
import { engineCall } from "./docker-errors.js";
import { dialUnder, endOnAbort } from "./dial-signal.js";

/** Go's os.FileMode type bits, as the engine reports a path's mode. */
const modeDir = 2 ** 31;
const modeSymlink = 2 ** 27;
const modeSetuid = 2 ** 23;
const modeSetgid = 2 ** 22;
const modeSticky = 2 ** 20;
/** Directory, symlink, named pipe, socket, device, char device, irregular. */
const modeTypeBits = [31, 27, 25, 24, 26, 21, 19].map((bit) => 2 ** bit);

function hasBit(mode: number, bit: number): boolean {
  return Math.floor(mode / bit) % 2 === 1;
}

/** The `X-Docker-Container-Path-Stat` header: base64 JSON of name, size, mode, mtime, linkTarget. */
export function pathStatFromHeader(header: string | string[] | undefined, operation: string): PathStat {
  const text = typeof header === "string" ? header : "";
  let raw: { name?: string; size?: number; mode?: number; linkTarget?: string };
  try {
    raw = JSON.parse(Buffer.from(text, "base64").toString("utf8")) as typeof raw;
  } catch (err) {
    throw new DockhandError("Internal", `${operation}: the engine sent no readable path stat`, { cause: err });
  }
  const mode = raw.mode ?? 0;
  const permissions =
    (mode % 0o1000) +
    (hasBit(mode, modeSetuid) ? 0o4000 : 0) +
    (hasBit(mode, modeSetgid) ? 0o2000 : 0) +
    (hasBit(mode, modeSticky) ? 0o1000 : 0);
  return {
    name: raw.name ?? "",
    size: raw.size ?? 0,
    mode: permissions,
    directory: hasBit(mode, modeDir),
    linkTarget: hasBit(mode, modeSymlink) ? (raw.linkTarget ?? "") : "",
    regular: !modeTypeBits.some((bit) => hasBit(mode, bit)),
  };
}

function dialArchive(docker: Docker, method: "GET" | "HEAD", id: string, path: string, signal?: AbortSignal) {
  return new Promise<IncomingMessage>((resolve, reject) => {
    const dial = docker.modem.dial.bind(docker.modem) as (
      opts: object,
      cb: (err: unknown, data: unknown) => void,
    ) => void;
    dial(
      {
        path: `/containers/${encodeURIComponent(id)}/archive?`,
        method,
        options: { path },
        isStream: true,
        abortSignal: signal,
        statusCodes: { 200: true, 400: "bad parameter", 404: "no such container or path", 500: "server error" },
      },
      (err, data) => (err ? reject(err) : resolve(data as IncomingMessage)),
    );
  });
}

type ArchiveMethods = Pick<ContainerInteractive, "putArchive" | "getArchive" | "statPath">;

export function createDockerArchive(docker: Docker, call: EngineCall): ArchiveMethods {
  return {
    async putArchive(id, directory, tar, signal) {
      const operation = `copy into ${directory} of container ${id}`;
      const body = Buffer.isBuffer(tar) ? tar : Readable.from(tar);
      const target = docker.getContainer(id) as unknown as {
        putArchive(file: Buffer | Readable, options: object): Promise<unknown>;
      };
      // A copy has no deadline of its own: it takes as long as its bytes do; the call's signal ends it.
      await engineCall(operation, () =>
        target.putArchive(body, { path: directory, noOverwriteDirNonDir: true, abortSignal: signal }),
      );
    },
    async getArchive(id, path, signal) {
      const operation = `copy ${path} out of container ${id}`;
      const response = await engineCall(operation, () =>
        dialUnder(signal, (dialSignal) => dialArchive(docker, "GET", id, path, dialSignal)),
      );
      endOnAbort(response, signal);
      const stat = pathStatFromHeader(response.headers["x-docker-container-path-stat"], operation);
      return { stat, tar: response as AsyncIterable<Buffer>, close: () => void response.destroy() };
    },
    async statPath(id, path, signal) {
      const operation = `stat ${path} in container ${id}`;
      const response = await call(operation, signal, (s) => dialArchive(docker, "HEAD", id, path, s));
      response.resume();
      return pathStatFromHeader(response.headers["x-docker-container-path-stat"], operation);
    },
  };
}
