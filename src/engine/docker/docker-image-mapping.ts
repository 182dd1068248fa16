import type Docker from "dockerode";
import type { ImageInspection, ImageSummary } from "../image-control.js";
import type { EngineInfo, SwarmMembership } from "../system-control.js";

/** The engine's placeholders for "no tag" / "no digest" (`<none>:<none>`, `<none>@<none>`). */
const isPlaceholder = (ref: string) => ref.startsWith("<none>");

export function toImageSummary(info: Docker.ImageInfo): ImageSummary {
  return {
    id: info.Id,
    repoTags: (info.RepoTags ?? []).filter((tag) => !isPlaceholder(tag)),
    repoDigests: (info.RepoDigests ?? []).filter((digest) => !isPlaceholder(digest)),
    parentId: info.ParentId ?? "",
    sizeBytes: info.Size,
    createdAt: new Date(info.Created * 1000),
    labels: info.Labels ?? {},
  };
}

type InspectInfo = Docker.ImageInspectInfo & { Config?: { User?: string } | null };

export function toImageInspection(info: InspectInfo): ImageInspection {
  const config = info.Config ?? ({} as Partial<Docker.ImageInspectInfo["Config"]>);
  return {
    id: info.Id,
    repoTags: (info.RepoTags ?? []).filter((tag) => !isPlaceholder(tag)),
    repoDigests: (info.RepoDigests ?? []).filter((digest) => !isPlaceholder(digest)),
    parentId: info.Parent ?? "",
    sizeBytes: info.Size,
    createdAt: new Date(info.Created),
    labels: config.Labels ?? {},
    config: {
      os: info.Os ?? "",
      architecture: info.Architecture ?? "",
      author: info.Author ?? "",
      comment: info.Comment ?? "",
      entrypoint: config.Entrypoint ? [config.Entrypoint].flat() : [],
      command: config.Cmd ? [config.Cmd].flat() : [],
      env: config.Env ?? [],
      workingDir: config.WorkingDir ?? "",
      user: (config as { User?: string }).User ?? "",
      exposedPorts: Object.keys(config.ExposedPorts ?? {}),
      layers: info.RootFS?.Layers ?? [],
    },
  };
}

const swarmStates = new Set<string>(["inactive", "pending", "active", "error", "locked"]);

/** `docker info` and `docker version` answers, as dockerode returns them (untyped). */
export function toEngineInfo(info: Record<string, any>, version: Docker.DockerVersion): EngineInfo {
  const swarm = String(info.Swarm?.LocalNodeState ?? "");
  return {
    id: String(info.ID ?? ""),
    engineVersion: version.Version ?? info.ServerVersion ?? "",
    apiVersion: version.ApiVersion ?? "",
    os: info.OSType ?? version.Os ?? "",
    architecture: info.Architecture ?? version.Arch ?? "",
    operatingSystem: info.OperatingSystem ?? "",
    kernelVersion: info.KernelVersion ?? version.KernelVersion ?? "",
    cpus: Number(info.NCPU ?? 0),
    memoryBytes: Number(info.MemTotal ?? 0),
    containers: Number(info.Containers ?? 0),
    containersRunning: Number(info.ContainersRunning ?? 0),
    containersPaused: Number(info.ContainersPaused ?? 0),
    containersStopped: Number(info.ContainersStopped ?? 0),
    images: Number(info.Images ?? 0),
    name: info.Name ?? "",
    storageDriver: info.Driver ?? "",
    swarm: swarmStates.has(swarm) ? (swarm as SwarmMembership) : "unknown",
  };
}
