import type Docker from "dockerode";
import type {
  ContainerDetails,
  ContainerSpec,
  ContainerStateName,
  ContainerSummary,
  HealthName,
  ImageDetails,
  PortProtocol,
  PublishedPort,
} from "../types.js";

const knownStates = new Set<string>(["created", "running", "paused", "restarting", "removing", "exited", "dead"]);

function stateName(raw: string | undefined): ContainerStateName {
  const state = (raw ?? "").toLowerCase();
  return knownStates.has(state) ? (state as ContainerStateName) : "unknown";
}

function healthName(raw: string | undefined): HealthName {
  return raw === "starting" || raw === "healthy" || raw === "unhealthy" ? raw : "none";
}

/** The engine reports "never" as Go's zero time. */
function engineTime(raw: string | undefined): Date | undefined {
  if (!raw || raw.startsWith("0001-")) return undefined;
  const date = new Date(raw);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function protocolOf(raw: string | undefined): PortProtocol {
  return raw === "udp" || raw === "sctp" ? raw : "tcp";
}

export function toCreateOptions(spec: ContainerSpec): Docker.ContainerCreateOptions {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const port of spec.ports ?? []) {
    const key = `${port.containerPort}/${port.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({
      HostIp: port.hostIp,
      HostPort: port.hostPort === 0 ? "" : String(port.hostPort),
    });
  }
  const options: Docker.ContainerCreateOptions = {
    Image: spec.image,
    Labels: spec.labels ?? {},
    Env: Object.entries(spec.env ?? {}).map(([key, value]) => `${key}=${value}`),
    ExposedPorts: exposed,
    HostConfig: {
      PortBindings: bindings,
      Init: spec.init ?? false,
      RestartPolicy: {
        Name: spec.restart?.mode === "no" || !spec.restart ? "" : spec.restart.mode,
        MaximumRetryCount: spec.restart?.mode === "on-failure" ? spec.restart.maxRetries : 0,
      },
      Memory: spec.memoryBytes ?? 0,
      NanoCpus: spec.nanoCpus ?? 0,
    },
  };
  // Set in the literal above; the typings only know it as optional.
  const hostConfig = options.HostConfig as Docker.HostConfig;
  if (spec.mounts?.length) {
    hostConfig.Mounts = spec.mounts.map((mount) => ({
      Type: mount.type,
      Source: mount.source,
      Target: mount.target,
      ReadOnly: mount.readOnly,
      ...(mount.type === "tmpfs" && mount.tmpfsSizeBytes
        ? { TmpfsOptions: { SizeBytes: mount.tmpfsSizeBytes, Mode: 0o1777 } }
        : {}),
    }));
  }
  if (spec.readOnlyRootFs) hostConfig.ReadonlyRootfs = true;
  // The engine (before API 1.44) takes one network at create; the others are connected before start.
  const [firstNetwork] = spec.networks ?? [];
  if (firstNetwork) {
    hostConfig.NetworkMode = firstNetwork.network;
    if (firstNetwork.aliases.length > 0)
      options.NetworkingConfig = { EndpointsConfig: { [firstNetwork.network]: { Aliases: firstNetwork.aliases } } };
  }
  if (spec.hostAccess) {
    hostConfig.Privileged = spec.hostAccess.privileged;
    if (spec.hostAccess.hostNetwork) hostConfig.NetworkMode = "host";
    if (spec.hostAccess.addCapabilities.length > 0) hostConfig.CapAdd = spec.hostAccess.addCapabilities;
  }
  if (spec.name) options.name = spec.name;
  if (spec.command && spec.command.length > 0) options.Cmd = spec.command;
  if (spec.stopGraceSeconds !== undefined) options.StopTimeout = spec.stopGraceSeconds;
  if (spec.hostname) options.Hostname = spec.hostname;
  if (spec.macAddress) options.MacAddress = spec.macAddress;
  if (spec.openStdin) options.OpenStdin = true;
  if (spec.healthCheck) {
    const check = spec.healthCheck;
    const ns = (ms: number) => ms * 1_000_000;
    options.Healthcheck = {
      Test: check.test,
      Interval: ns(check.intervalMs),
      Timeout: ns(check.timeoutMs),
      Retries: check.retries,
      StartPeriod: ns(check.startPeriodMs),
    };
  }
  return options;
}

export function toSummary(info: Docker.ContainerInfo): ContainerSummary {
  return {
    id: info.Id,
    name: (info.Names[0] ?? "").replace(/^\//, ""),
    image: info.Image,
    imageId: info.ImageID,
    labels: info.Labels ?? {},
    state: stateName(info.State),
    status: info.Status ?? "",
    createdAt: new Date(info.Created * 1000),
    ports: (info.Ports ?? [])
      .filter((port) => port.PublicPort !== undefined && port.PublicPort !== 0)
      .map((port) => ({
        containerPort: port.PrivatePort,
        protocol: protocolOf(port.Type),
        hostIp: port.IP ?? "",
        hostPort: port.PublicPort,
      })),
  };
}

function publishedPorts(ports: Docker.ContainerInspectInfo["NetworkSettings"]["Ports"] | undefined): PublishedPort[] {
  const result: PublishedPort[] = [];
  for (const [key, bindings] of Object.entries(ports ?? {})) {
    const [port, protocol] = key.split("/");
    for (const binding of bindings ?? []) {
      result.push({
        containerPort: Number(port),
        protocol: protocolOf(protocol),
        hostIp: binding.HostIp,
        hostPort: Number(binding.HostPort),
      });
    }
  }
  return result;
}

export function toDetails(info: Docker.ContainerInspectInfo): ContainerDetails {
  const state = info.State as Docker.ContainerInspectInfo["State"] & { Health?: { Status?: string } };
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ""),
    image: info.Config.Image,
    imageId: info.Image,
    labels: info.Config.Labels ?? {},
    state: stateName(state.Status),
    status: state.Status,
    createdAt: new Date(info.Created),
    ports: publishedPorts(info.NetworkSettings?.Ports),
    health: healthName(state.Health?.Status),
    startedAt: engineTime(state.StartedAt),
    finishedAt: engineTime(state.FinishedAt),
    exitCode: state.ExitCode,
    restartCount: info.RestartCount,
    error: state.Error ?? "",
    command: [...(info.Config.Entrypoint ? [info.Config.Entrypoint].flat() : []), ...(info.Config.Cmd ?? [])],
  };
}

export function toImageDetails(info: Docker.ImageInspectInfo): ImageDetails {
  return {
    id: info.Id,
    repoTags: info.RepoTags ?? [],
    repoDigests: info.RepoDigests ?? [],
    sizeBytes: info.Size,
    createdAt: new Date(info.Created),
  };
}
