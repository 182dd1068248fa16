import type Docker from "dockerode";
import { fuzzPrefix } from "./fuzz-values.js";

/**
 * What a refused call must leave as it was: the fuzzed engine's containers (by id and name),
 * images (by id and tags), volumes and networks, dockhand's stored services (name, definition,
 * desired count) and the fuzz run's repositories in the registry.
 *
 * Container states are left out, as they change on their own (a container exits, an engine
 * restart policy restarts it). So are the containers of a dockhand service that is not settled,
 * which its reconciler replaces and a rolling update renews in the background; a service is
 * settled when it has its desired count of containers, each up for 10 s or more (past a crash
 * loop's reach), and no rollout under way.
 */
export interface FuzzSnapshot {
  containers: string[];
  images: string[];
  volumes: string[];
  networks: string[];
  services: string[];
  registry: string[];
  /** The containers of each dockhand service, whatever their state. */
  managed: Map<string, string[]>;
  /** The services that were settled. */
  settled: Set<string>;
}

interface StoredService {
  name: string;
  replicas?: number;
  updateStatus?: { state?: string };
  [field: string]: unknown;
}

export async function takeSnapshot(docker: Docker, dockhandUrl: string, registryHost: string): Promise<FuzzSnapshot> {
  // A hung engine or dockhand fails the run instead of holding it.
  const abortSignal = AbortSignal.timeout(30_000);
  const [containers, images, volumes, networks, stored, registry] = await Promise.all([
    docker.listContainers({ all: true, abortSignal }),
    docker.listImages({ all: true, abortSignal }),
    docker.listVolumes({ abortSignal }),
    docker.listNetworks({ abortSignal }),
    storedServices(dockhandUrl),
    registryRepositories(registryHost),
  ]);
  const managed = new Map<string, Docker.ContainerInfo[]>();
  for (const c of containers) {
    const service = c.Labels["dockhand.service"];
    if (service) managed.set(service, [...(managed.get(service) ?? []), c]);
  }
  const settled = new Set<string>();
  for (const service of stored) {
    const own = managed.get(service.name) ?? [];
    const rolling = /UPDATING|ROLLING_BACK/.test(service.updateStatus?.state ?? "");
    if (!rolling && own.length === (service.replicas ?? 0) && own.every(upLongEnough)) settled.add(service.name);
  }
  return {
    containers: containers
      .filter((c) => !c.Labels["dockhand.service"])
      .map((c) => `${c.Id.slice(0, 12)} ${c.Names.join(",")}`)
      .sort(),
    images: images.map((i) => `${i.Id.slice(7, 19)} ${(i.RepoTags ?? []).sort().join(",")}`).sort(),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name).sort(),
    networks: networks.map((n) => n.Name).sort(),
    services: stored.map(comparable).sort(),
    registry,
    managed: new Map(
      [...managed].map(([service, own]) => [
        service,
        own.map((c) => `${c.Id.slice(0, 12)} ${c.Names.join(",")}`).sort(),
      ]),
    ),
    settled,
  };
}

/** Running or paused for 10 s or more, in the engine's words: "Up 12 seconds", "Up 3 minutes (Paused)". */
function upLongEnough(c: Docker.ContainerInfo): boolean {
  if (c.State !== "running" && c.State !== "paused") return false;
  if (!c.Status.startsWith("Up ") || c.Status.startsWith("Up Less than")) return false;
  const seconds = /^Up (\d+) seconds?/.exec(c.Status);
  return seconds ? Number(seconds[1]) >= 10 : true;
}

async function storedServices(url: string): Promise<StoredService[]> {
  const res = await fetch(`${url}/dockhand.v1.ServiceRegistry/ListServices`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
    signal: AbortSignal.timeout(30_000),
  });
  return ((await res.json()) as { services?: StoredService[] }).services ?? [];
}

function comparable(s: StoredService): string {
  // A rollback in the background renews the definition and version by itself.
  const rollingBack = /ROLL/.test(s.updateStatus?.state ?? "");
  const { updateStatus, updateTime, version, ...definition } = s;
  void updateStatus;
  void updateTime;
  return JSON.stringify(rollingBack ? { name: s.name, replicas: s.replicas ?? 0 } : { ...definition, version });
}

async function registryRepositories(host: string): Promise<string[]> {
  const res = await fetch(`http://${host}/v2/_catalog?n=10000`, { signal: AbortSignal.timeout(10_000) }).catch(
    () => undefined,
  );
  if (!res?.ok) return ["(registry not answering)"];
  const { repositories = [] } = (await res.json()) as { repositories?: string[] };
  return repositories.filter((r) => r.startsWith(fuzzPrefix)).sort();
}

function setDiff(key: string, before: readonly string[], after: readonly string[]): string[] {
  const was = new Set(before);
  const now = new Set(after);
  return [
    ...[...was].filter((item) => !now.has(item)).map((item) => `${key}: gone ${item.slice(0, 200)}`),
    ...[...now].filter((item) => !was.has(item)).map((item) => `${key}: new ${item.slice(0, 200)}`),
  ];
}

/**
 * The differences between two snapshots, one line each; empty when they are equal. A service's
 * containers (whatever their state) are compared when it was settled before the call.
 */
export function snapshotDiff(before: FuzzSnapshot, after: FuzzSnapshot): string[] {
  const lines: string[] = [];
  for (const key of ["containers", "images", "volumes", "networks", "services", "registry"] as const) {
    lines.push(...setDiff(key, before[key], after[key]));
  }
  for (const service of before.settled) {
    lines.push(
      ...setDiff(`containers of ${service}`, before.managed.get(service) ?? [], after.managed.get(service) ?? []),
    );
  }
  return lines;
}
