import type Docker from "dockerode";
import { fuzzPrefix } from "./fuzz-values.js";

/**
 * What a refused call must leave as it was: the fuzzed engine's containers (by id and name),
 * images (by id and tags), volumes and networks, dockhand's stored services (name, definition,
 * desired count) and the fuzz run's repositories in the registry.
 *
 * Left out on purpose, as they change on their own: container states (a container exits, an
 * engine restart policy restarts it) and the containers of dockhand's services, which its
 * reconciler replaces and rolling updates renew in the background. What a call can do to those
 * goes through the stored services, which are compared.
 */
export interface FuzzSnapshot {
  containers: string[];
  images: string[];
  volumes: string[];
  networks: string[];
  services: string[];
  registry: string[];
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
  const [containers, images, volumes, networks, services, registry] = await Promise.all([
    docker.listContainers({ all: true, abortSignal }),
    docker.listImages({ all: true, abortSignal }),
    docker.listVolumes({ abortSignal }),
    docker.listNetworks({ abortSignal }),
    storedServices(dockhandUrl),
    registryRepositories(registryHost),
  ]);
  return {
    containers: containers.filter((c) => !c.Labels["dockhand.service"]).map((c) => `${c.Id.slice(0, 12)} ${c.Names.join(",")}`).sort(),
    images: images.map((i) => `${i.Id.slice(7, 19)} ${(i.RepoTags ?? []).sort().join(",")}`).sort(),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name).sort(),
    networks: networks.map((n) => n.Name).sort(),
    services,
    registry,
  };
}

async function storedServices(url: string): Promise<string[]> {
  const res = await fetch(`${url}/dockhand.v1.ServiceRegistry/ListServices`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
    signal: AbortSignal.timeout(30_000),
  });
  const { services = [] } = (await res.json()) as { services?: StoredService[] };
  return services
    .map((s) => {
      // A rollback in the background renews the definition and version by itself.
      const rollingBack = /ROLL/.test(s.updateStatus?.state ?? "");
      const { updateStatus, updateTime, version, ...definition } = s;
      void updateStatus;
      void updateTime;
      return JSON.stringify(rollingBack ? { name: s.name, replicas: s.replicas ?? 0 } : { ...definition, version });
    })
    .sort();
}

async function registryRepositories(host: string): Promise<string[]> {
  const res = await fetch(`http://${host}/v2/_catalog?n=10000`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
  if (!res?.ok) return ["(registry not answering)"];
  const { repositories = [] } = (await res.json()) as { repositories?: string[] };
  return repositories.filter((r) => r.startsWith(fuzzPrefix)).sort();
}

/** The differences between two snapshots, one line each; empty when they are equal. */
export function snapshotDiff(before: FuzzSnapshot, after: FuzzSnapshot): string[] {
  const lines: string[] = [];
  for (const key of Object.keys(before) as Array<keyof FuzzSnapshot>) {
    const was = new Set(before[key]);
    const now = new Set(after[key]);
    for (const item of was) if (!now.has(item)) lines.push(`${key}: gone ${item.slice(0, 200)}`);
    for (const item of now) if (!was.has(item)) lines.push(`${key}: new ${item.slice(0, 200)}`);
  }
  return lines;
}
