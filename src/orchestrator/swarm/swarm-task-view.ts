import type { Logger } from "pino";
import type { SwarmEngine, SwarmEvent, SwarmNodeInfo, SwarmService, SwarmTask } from "../../engine/swarm.js";
import { instanceFilter, serviceLabel } from "../../model/ownership-labels.js";
import { sleep } from "../../lib/sleep.js";

export interface SwarmTaskViewOptions {
  swarm: SwarmEngine;
  instance: string;
  logger: Logger;
  /**
   * How often every task is listed again, in ms. Default 1000. Workers' task changes raise no
   * event on the manager, so events alone would miss a task that died on a worker.
   */
  pollIntervalMs?: number;
}

/**
 * This dockhand's Swarm services, their tasks and the nodes, as last read from the manager.
 * Kept live by the manager's service, node and container events, a full resync after each
 * (re)connection of the event stream (what happened in the gap is unknown), and a periodic
 * listing. Status reads it without calling the manager.
 */
export interface SwarmTaskView {
  start(): Promise<void>;
  close(): void;
  /** The event stream is connected and the last full read succeeded. */
  isTrusted(): boolean;
  service(name: string): SwarmService | undefined;
  services(): SwarmService[];
  tasks(name: string): SwarmTask[];
  nodes(): ReadonlyMap<string, SwarmNodeInfo>;
  /** Reads one service and its tasks again (read-your-writes after a change). */
  refresh(name: string): Promise<void>;
  resync(): Promise<void>;
  /** Names each service whose services/tasks/nodes read changed. */
  onChange(listener: (service: string) => void): () => void;
}

export function createSwarmTaskView(options: SwarmTaskViewOptions): SwarmTaskView {
  const { swarm, instance, logger } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const services = new Map<string, SwarmService>();
  const tasksByService = new Map<string, SwarmTask[]>();
  let nodes = new Map<string, SwarmNodeInfo>();
  const fingerprints = new Map<string, string>();
  const listeners = new Set<(service: string) => void>();
  const stop = new AbortController();
  let connected = false;
  let synced = false;

  function fingerprint(name: string): string {
    const service = services.get(name);
    const tasks = tasksByService.get(name) ?? [];
    const nodeStates = tasks.map((t) => `${t.nodeId}:${nodes.get(t.nodeId)?.state ?? "?"}`);
    return JSON.stringify([service?.version, service?.updateStatus, tasks, nodeStates]);
  }

  function notifyChanged(names: Iterable<string>): void {
    for (const name of names) {
      const next = fingerprint(name);
      if (fingerprints.get(name) === next) continue;
      if (services.has(name)) fingerprints.set(name, next);
      else fingerprints.delete(name);
      for (const listener of listeners) listener(name);
    }
  }

  async function resync(): Promise<void> {
    const [listed, tasks, nodeList] = await Promise.all([
      swarm.services.list([instanceFilter(instance)]),
      swarm.tasks.list({}),
      swarm.nodes.list(),
    ]);
    const before = new Set(services.keys());
    services.clear();
    tasksByService.clear();
    const nameById = new Map<string, string>();
    for (const service of listed) {
      const name = service.spec.labels[serviceLabel] ?? service.spec.name;
      services.set(name, service);
      tasksByService.set(name, []);
      nameById.set(service.id, name);
    }
    for (const task of tasks) {
      const name = nameById.get(task.serviceId);
      if (name) tasksByService.get(name)!.push(task);
    }
    nodes = new Map(nodeList.map((n) => [n.id, n]));
    synced = true;
    notifyChanged(new Set([...before, ...services.keys()]));
  }

  async function refresh(name: string): Promise<void> {
    let service: SwarmService | undefined;
    try {
      service = await swarm.services.inspect(name);
    } catch (err) {
      if ((err as { kind?: string }).kind !== "NotFound") throw err;
    }
    if (service && service.spec.labels["dockhand.instance"] !== instance) service = undefined;
    if (service) {
      services.set(name, service);
      tasksByService.set(name, await swarm.tasks.list({ service: service.id }));
    } else {
      services.delete(name);
      tasksByService.delete(name);
    }
    notifyChanged([name]);
  }

  async function onEvent(event: SwarmEvent): Promise<void> {
    if (event.type === "node") {
      nodes = new Map((await swarm.nodes.list()).map((n) => [n.id, n]));
      notifyChanged(services.keys());
      return;
    }
    const name = event.type === "service" ? event.attributes.name : event.attributes["com.docker.swarm.service.name"];
    if (name) await refresh(name);
  }

  async function followEvents(): Promise<void> {
    while (!stop.signal.aborted) {
      try {
        for await (const item of swarm.events(stop.signal)) {
          if (item.kind === "connected") {
            connected = true;
            await resync().catch((err: unknown) => logger.warn({ err }, "swarm resync failed"));
          } else {
            await onEvent(item.event).catch((err: unknown) => logger.debug({ err }, "swarm event refresh failed"));
          }
        }
      } catch (err) {
        if (stop.signal.aborted) return;
        logger.warn({ err }, "swarm event stream failed; reconnecting");
      }
      connected = false;
      await sleep(500, stop.signal).catch(() => undefined);
    }
  }

  async function poll(): Promise<void> {
    while (!stop.signal.aborted) {
      await sleep(pollIntervalMs, stop.signal).catch(() => undefined);
      if (stop.signal.aborted) return;
      try {
        await resync();
      } catch (err) {
        synced = false;
        logger.debug({ err }, "swarm task listing failed");
      }
    }
  }

  return {
    async start() {
      await resync();
      void followEvents();
      void poll();
    },
    close() {
      stop.abort();
      listeners.clear();
    },
    isTrusted: () => connected && synced,
    service: (name) => services.get(name),
    services: () => [...services.values()],
    tasks: (name) => tasksByService.get(name) ?? [],
    nodes: () => nodes,
    refresh,
    resync,
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
