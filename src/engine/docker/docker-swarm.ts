import type { IncomingMessage } from "node:http";
import Docker from "dockerode";
import { DockhandError, isDockhandError } from "../../model/dockhand-error.js";
import { sleep } from "../../lib/sleep.js";
import { abortable } from "../abortable-iterable.js";
import { createFrameDemuxer, demuxBuffer, type OutputFrame } from "../frame-demuxer.js";
import { createLineBuffer, readLines } from "../line-buffer.js";
import type { SwarmEngine, SwarmEvent, SwarmEventItem } from "../swarm.js";
import { toEngineError } from "./docker-errors.js";
import { createEngineCall } from "./docker-deadline.js";
import { parseServiceLogLine } from "./docker-swarm-logs.js";
import {
  toDockerServiceSpec,
  toSwarmNode,
  toSwarmService,
  toSwarmTask,
  type DockerNode,
  type DockerService,
  type DockerTask,
} from "./docker-swarm-mapping.js";
import { dockerOptionsFromUrl } from "./docker-url.js";
import { dockerSwarmFileObjects, dockerSwarmNetworks } from "./docker-swarm-objects.js";

export interface DockerSwarmOptions {
  /** Docker URL of a swarm manager. Default `unix:///var/run/docker.sock`. */
  url?: string;
  /** Folder with ca.pem, cert.pem and key.pem for TLS. Default: none. */
  certPath?: string;
  /** Deadline of a non-streaming call when the caller passes no signal, in ms. Default 30000. */
  callTimeoutMs?: number;
}

const swarmEventTypes = ["service", "node", "container"] as const;

/** The Swarm API of a manager, through a dockerode client of its own. */
export function createDockerSwarm(options: DockerSwarmOptions = {}): SwarmEngine {
  const docker = new Docker(dockerOptionsFromUrl(options.url ?? "unix:///var/run/docker.sock", options.certPath));
  const callTimeoutMs = options.callTimeoutMs ?? 30_000;

  // The same default deadline as every container-engine call (docker-deadline.ts).
  const timed = createEngineCall(callTimeoutMs);

  async function* followLogs(id: string, follow: boolean, tail: number | undefined, signal: AbortSignal) {
    const query = {
      follow,
      stdout: true,
      stderr: true,
      timestamps: true,
      details: true,
      ...(tail !== undefined ? { tail } : {}),
      abortSignal: signal,
    };
    let output: unknown;
    try {
      output = await docker.getService(id).logs(query as never);
    } catch (err) {
      throw toEngineError(err, `logs of swarm service ${id}`);
    }
    const lines = (frames: OutputFrame[], buffers: Map<string, ReturnType<typeof createLineBuffer>>) =>
      frames.flatMap((frame) => {
        let buffer = buffers.get(frame.stream);
        if (!buffer) buffers.set(frame.stream, (buffer = createLineBuffer()));
        return buffer.push(frame.data.toString("utf8")).map((text) => parseServiceLogLine(frame.stream, text));
      });
    const buffers = new Map<string, ReturnType<typeof createLineBuffer>>();
    if (Buffer.isBuffer(output)) {
      for (const line of lines(demuxBuffer(output), buffers)) if (line) yield line;
      for (const [stream, buffer] of buffers) {
        const last = buffer.flush();
        const line = last ? parseServiceLogLine(stream as OutputFrame["stream"], last) : undefined;
        if (line) yield line;
      }
      return;
    }
    const demuxer = createFrameDemuxer();
    try {
      for await (const chunk of output as AsyncIterable<Buffer>) {
        for (const line of lines(demuxer.push(chunk), buffers)) if (line) yield line;
      }
    } catch (err) {
      if (signal.aborted) return;
      throw toEngineError(err, `logs of swarm service ${id}`);
    }
  }

  async function* followEvents(signal: AbortSignal): AsyncGenerator<SwarmEventItem> {
    let failures = 0;
    while (!signal.aborted) {
      let response: IncomingMessage;
      try {
        const getEvents = docker.getEvents.bind(docker) as (query: object) => Promise<unknown>;
        response = (await getEvents({
          filters: { type: [...swarmEventTypes] },
          abortSignal: signal,
        })) as IncomingMessage;
      } catch (err) {
        if (signal.aborted) return;
        const engineError = toEngineError(err, "watch swarm events");
        if (!isDockhandError(engineError, "Unavailable") && !isDockhandError(engineError, "Internal"))
          throw engineError;
        await sleep(Math.min(2000, 100 * 2 ** failures++), signal).catch(() => undefined);
        continue;
      }
      failures = 0;
      yield { kind: "connected" };
      try {
        for await (const line of readLines(response)) {
          const event = parseSwarmEvent(line);
          if (event) yield { kind: "event", event };
        }
      } catch (err) {
        if (signal.aborted) return;
        void err;
      }
      await sleep(100, signal).catch(() => undefined);
    }
  }

  return {
    membership: (signal) =>
      timed("swarm membership", signal, async (abortSignal) => {
        const info = (await docker.info({ abortSignal } as never)) as unknown as {
          Swarm?: { NodeID?: string; LocalNodeState?: string; ControlAvailable?: boolean };
        };
        return {
          nodeId: info.Swarm?.NodeID ?? "",
          state: (info.Swarm?.LocalNodeState || "inactive") as "inactive",
          manager: info.Swarm?.ControlAvailable ?? false,
        };
      }),
    services: {
      list: (labels, signal) =>
        timed("list swarm services", signal, async (abortSignal) => {
          const services = (await docker.listServices({
            filters: { label: [...labels] },
            abortSignal,
          } as never)) as unknown as DockerService[];
          return services.map(toSwarmService);
        }),
      inspect: (idOrName, signal) =>
        timed(`inspect swarm service ${idOrName}`, signal, async (abortSignal) =>
          toSwarmService(
            (await docker.getService(idOrName).inspect({ abortSignal } as never)) as unknown as DockerService,
          ),
        ),
      create: (spec, signal) =>
        timed(`create swarm service ${spec.name}`, signal, async (abortSignal) => {
          try {
            const created = await docker.createService({ ...toDockerServiceSpec(spec), abortSignal } as never);
            return (created as unknown as { id: string }).id;
          } catch (err) {
            const engineError = toEngineError(err, `create swarm service ${spec.name}`);
            if (engineError.kind !== "Conflict") throw engineError;
            throw new DockhandError("AlreadyExists", engineError.message, { cause: err, details: { field: "name" } });
          }
        }),
      update: (id, version, spec, updateOptions = {}) =>
        timed(`update swarm service ${spec.name}`, updateOptions.signal, async (abortSignal) => {
          const query = { version, ...(updateOptions.rollback ? { rollback: "previous" } : {}) };
          try {
            await docker
              .getService(id)
              .update({ _query: query, _body: toDockerServiceSpec(spec), abortSignal } as never);
          } catch (err) {
            throw outOfSequence(err, `update swarm service ${spec.name}`);
          }
        }),
      remove: (id, signal) =>
        timed(`remove swarm service ${id}`, signal, async (abortSignal) => {
          await docker.getService(id).remove({ abortSignal } as never);
        }),
    },
    tasks: {
      list: (query, signal) =>
        timed("list swarm tasks", signal, async (abortSignal) => {
          const filters: Record<string, string[]> = {};
          if (query.service) filters.service = [query.service];
          if (query.labels?.length) filters.label = [...query.labels];
          const tasks = (await docker.listTasks({ filters, abortSignal } as never)) as unknown as DockerTask[];
          return tasks.map(toSwarmTask);
        }),
    },
    nodes: {
      list: (signal) =>
        timed("list swarm nodes", signal, async (abortSignal) => {
          const nodes = (await docker.listNodes({ abortSignal } as never)) as unknown as DockerNode[];
          return nodes.map(toSwarmNode);
        }),
    },
    networks: dockerSwarmNetworks(docker, timed),
    secrets: dockerSwarmFileObjects(docker, timed, "secret"),
    configs: dockerSwarmFileObjects(docker, timed, "config"),
    serviceLogs: (id, logOptions) =>
      abortable(logOptions.signal, (signal) => followLogs(id, logOptions.follow, logOptions.tail, signal)),
    events: (signal) => abortable(signal, (inner) => followEvents(inner)),
  };
}

/** One line of /events, or undefined for a line that is not a swarm event. */
export function parseSwarmEvent(line: string): SwarmEvent | undefined {
  let raw: { Type?: string; Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> } };
  try {
    raw = JSON.parse(line) as typeof raw;
  } catch {
    return undefined;
  }
  if (!raw.Type || !(swarmEventTypes as readonly string[]).includes(raw.Type)) return undefined;
  return {
    type: raw.Type as SwarmEvent["type"],
    action: raw.Action ?? "",
    id: raw.Actor?.ID ?? "",
    attributes: raw.Actor?.Attributes ?? {},
  };
}

/**
 * Swarm answers an update at a stale version with a 500 whose only mark is its text ("update
 * out of sequence"): there is no status code for it, so this one failure is read by its words.
 */
function outOfSequence(err: unknown, operation: string): DockhandError {
  const engineError = toEngineError(err, operation);
  if (engineError.kind === "Internal" && /update out of sequence/.test(engineError.message)) {
    return new DockhandError("Conflict", `${operation}: the service changed since it was read`, { cause: err });
  }
  return engineError;
}
