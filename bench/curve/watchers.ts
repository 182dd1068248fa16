/**
 * watchers-1000: WatchStatus streams spread evenly over the fleet's services and over a number
 * of HTTP/2 connections. Containers of randomly chosen services are killed one at a time; for
 * each kill, the time from the kill request to each watcher of its service receiving a status
 * where that container no longer runs. The baseline is the engine's own event stream (a
 * `die` event filter) seeing the same kills, timed from the same instant.
 */
import { setMaxListeners } from "node:events";
import type { IncomingMessage } from "node:http";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import type Docker from "dockerode";
import { ContainerState, Scaler, type ServiceStatus } from "../../gen/dockhand/v1/scaler_pb.js";
import { memoryOf } from "../support.js";
import type { Fleet } from "./fleet.js";

export interface WatchersResult {
  watchers: number;
  connections: number;
  /** ms from a kill to a watcher seeing it, one sample per watcher of the killed container's service. */
  seen: number[];
  /** ms from a kill to the engine's die event. */
  engineSeen: number[];
  /** Watchers that did not see a kill within the time allowed. */
  missed: number;
  streamErrors: number;
  rssIdleMb: number;
  rssWatchingMb: number;
  /** Seconds until every stream had its first status. */
  openSeconds: number;
}

interface Watcher {
  service: string;
  latest: ServiceStatus | undefined;
  /** Called on each message with its arrival time. */
  onMessage?: (status: ServiceStatus, at: number) => void;
}

const stillRuns = (status: ServiceStatus, id: string) =>
  status.containers.some((c) => c.id === id && c.state === ContainerState.RUNNING);

/** Resolves with each die event's container id and arrival time, until the signal aborts. */
async function engineDeaths(
  docker: Docker,
  signal: AbortSignal,
  onDeath: (id: string, at: number) => void,
): Promise<void> {
  const stream = (await (docker.getEvents as (options: object) => Promise<unknown>)({
    filters: { type: ["container"], event: ["die"] },
    abortSignal: signal,
  })) as IncomingMessage;
  let buffered = "";
  stream.on("data", (chunk: Buffer) => {
    const at = performance.now();
    buffered += chunk.toString("utf8");
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.trim()) onDeath((JSON.parse(line) as { id: string }).id, at);
    }
  });
  stream.on("error", () => undefined);
}

export async function measureWatchers(options: {
  url: string;
  docker: Docker;
  dockhandPid: number;
  fleet: Fleet;
  watchers: number;
  connections: number;
  kills: number;
  log: (line: string) => void;
}): Promise<WatchersResult> {
  const { fleet, docker, log } = options;
  const clients: Client<typeof Scaler>[] = Array.from({ length: options.connections }, () =>
    createClient(Scaler, createGrpcTransport({ baseUrl: options.url })),
  );
  const stop = new AbortController();
  // Every stream listens on it.
  setMaxListeners(0, stop.signal);
  const rssIdleMb = memoryOf(options.dockhandPid).rssMb;
  const watchers: Watcher[] = Array.from({ length: options.watchers }, (_, i) => ({
    service: fleet.services[i % fleet.services.length]!,
    latest: undefined,
  }));
  let streamErrors = 0;
  const opened = performance.now();
  const streams = watchers.map(async (watcher, i) => {
    try {
      for await (const { status } of clients[i % clients.length]!.watchStatus(
        { name: watcher.service },
        { signal: stop.signal },
      )) {
        if (!status) continue;
        watcher.latest = status;
        watcher.onMessage?.(status, performance.now());
      }
    } catch (err) {
      if (!stop.signal.aborted) {
        streamErrors++;
        if (streamErrors <= 3) log(`  watcher of ${watcher.service} failed: ${String(err)}`);
      }
    }
  });
  const engineSeenAt = new Map<string, number>();
  await engineDeaths(docker, stop.signal, (id, at) => engineSeenAt.set(id, at));
  try {
    while (watchers.some((w) => w.latest === undefined)) {
      if (performance.now() - opened > 120_000)
        throw new Error(`${watchers.filter((w) => !w.latest).length} watchers had no first status after 120 s`);
      await sleep(20);
    }
    const openSeconds = (performance.now() - opened) / 1000;
    await sleep(2000);
    const rssWatchingMb = memoryOf(options.dockhandPid).rssMb;
    log(
      `  ${watchers.length} watchers over ${clients.length} connections open in ${openSeconds.toFixed(1)} s; dockhand RSS ${rssIdleMb.toFixed(1)} MB before, ${rssWatchingMb.toFixed(1)} MB with them`,
    );

    const seen: number[] = [];
    const engineSeen: number[] = [];
    let missed = 0;
    const shuffled = [...fleet.services].sort(() => Math.random() - 0.5);
    for (let k = 0; k < options.kills; k++) {
      const service = shuffled[k % shuffled.length]!;
      const mine = watchers.filter((w) => w.service === service);
      const victim = mine[0]!.latest!.containers.find((c) => c.state === ContainerState.RUNNING);
      if (!victim) throw new Error(`no running container of ${service} to kill`);
      const waits = mine.map(
        (watcher) =>
          new Promise<number | undefined>((resolve) => {
            const timer = setTimeout(() => resolve(undefined), 10_000);
            watcher.onMessage = (status, at) => {
              if (stillRuns(status, victim.id)) return;
              clearTimeout(timer);
              watcher.onMessage = undefined;
              resolve(at);
            };
          }),
      );
      const killedAt = performance.now();
      await docker.getContainer(victim.id).kill();
      for (const at of await Promise.all(waits)) {
        if (at === undefined) missed++;
        else seen.push(at - killedAt);
      }
      for (let i = 0; i < 100 && !engineSeenAt.has(victim.id); i++) await sleep(20);
      const engineAt = engineSeenAt.get(victim.id);
      if (engineAt !== undefined) engineSeen.push(engineAt - killedAt);
      // Let the replacement start before the next kill.
      await sleep(1000);
    }
    return {
      watchers: watchers.length,
      connections: clients.length,
      seen,
      engineSeen,
      missed,
      streamErrors,
      rssIdleMb,
      rssWatchingMb,
      openSeconds,
    };
  } finally {
    stop.abort();
    await Promise.allSettled(streams);
  }
}
