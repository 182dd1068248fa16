import type { PortProtocol } from "../../model/container-options.js";
import type {
  SwarmNodeInfo,
  SwarmRestartCondition,
  SwarmService,
  SwarmServiceSpec,
  SwarmTask,
  SwarmTaskState,
  SwarmUpdateConfig,
  SwarmUpdateState,
} from "../swarm.js";
import {
  fromDockerWorkload,
  toDockerWorkload,
  type DockerNetworkAttachment,
  type DockerWorkloadContainer,
} from "./docker-swarm-workload.js";

/** The parts of the Swarm API's JSON that dockhand reads and writes (dockerode's typings miss several). */
interface DockerUpdateConfig {
  Parallelism?: number;
  Delay?: number;
  FailureAction?: string;
  Monitor?: number;
  Order?: string;
}

interface DockerPortConfig {
  Protocol?: string;
  TargetPort?: number;
  PublishedPort?: number;
  PublishMode?: string;
}

export interface DockerServiceSpec {
  Name?: string;
  Labels?: Record<string, string>;
  TaskTemplate?: {
    ContainerSpec?: DockerWorkloadContainer & {
      Image?: string;
      Args?: string[];
      Env?: string[];
      Labels?: Record<string, string>;
      Init?: boolean;
      StopGracePeriod?: number;
    };
    Networks?: DockerNetworkAttachment[];
    Resources?: { Limits?: { MemoryBytes?: number; NanoCPUs?: number } };
    RestartPolicy?: { Condition?: string; MaxAttempts?: number };
  };
  Mode?: { Replicated?: { Replicas?: number } };
  UpdateConfig?: DockerUpdateConfig;
  RollbackConfig?: DockerUpdateConfig;
  EndpointSpec?: { Mode?: string; Ports?: DockerPortConfig[] };
}

export interface DockerService {
  ID: string;
  Version?: { Index?: number };
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec?: DockerServiceSpec;
  PreviousSpec?: DockerServiceSpec;
  UpdateStatus?: { State?: string; Message?: string; StartedAt?: string; CompletedAt?: string };
}

export interface DockerTask {
  ID: string;
  ServiceID?: string;
  Slot?: number;
  NodeID?: string;
  DesiredState?: string;
  CreatedAt?: string;
  Spec?: { ContainerSpec?: { Labels?: Record<string, string> } };
  Status?: {
    Timestamp?: string;
    State?: string;
    Message?: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string; ExitCode?: number };
    PortStatus?: { Ports?: DockerPortConfig[] };
  };
}

export interface DockerNode {
  ID: string;
  Description?: { Hostname?: string };
  Spec?: { Role?: string; Availability?: string };
  Status?: { State?: string; Addr?: string };
}

const nsPerMs = 1_000_000;

function toDockerUpdate(config: SwarmUpdateConfig): DockerUpdateConfig {
  return {
    Parallelism: config.parallelism,
    Delay: config.delayMs * nsPerMs,
    FailureAction: config.failureAction,
    Monitor: config.monitorMs * nsPerMs,
    Order: config.order,
  };
}

function fromDockerUpdate(config: DockerUpdateConfig | undefined): SwarmUpdateConfig {
  return {
    // The engine leaves out a field that is zero.
    parallelism: config?.Parallelism ?? 0,
    delayMs: (config?.Delay ?? 0) / nsPerMs,
    failureAction: (config?.FailureAction ?? "pause") as SwarmUpdateConfig["failureAction"],
    monitorMs: (config?.Monitor ?? 0) / nsPerMs,
    order: (config?.Order ?? "stop-first") as SwarmUpdateConfig["order"],
  };
}

/** Ports published in host mode (no routing mesh: it needs IPVS) with dnsrr endpoints (no VIP, for the same reason). */
export function toDockerServiceSpec(spec: SwarmServiceSpec): DockerServiceSpec {
  const workload = toDockerWorkload(spec);
  return {
    Name: spec.name,
    Labels: spec.labels,
    TaskTemplate: {
      Networks: workload.networks,
      ContainerSpec: {
        ...workload.container,
        Image: spec.image,
        ...(spec.command.length ? { Args: spec.command } : {}),
        Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
        Labels: spec.containerLabels,
        Init: spec.init,
        StopGracePeriod: spec.stopGraceSeconds * 1_000_000_000,
      },
      Resources: { Limits: { MemoryBytes: spec.memoryBytes, NanoCPUs: spec.nanoCpus } },
      RestartPolicy: { Condition: spec.restart.condition, MaxAttempts: spec.restart.maxAttempts },
    },
    Mode: { Replicated: { Replicas: spec.replicas } },
    UpdateConfig: toDockerUpdate(spec.update),
    RollbackConfig: toDockerUpdate(spec.rollback),
    EndpointSpec: {
      Mode: "dnsrr",
      Ports: spec.ports.map((p) => ({
        Protocol: p.protocol,
        TargetPort: p.containerPort,
        PublishedPort: p.hostPort || undefined,
        PublishMode: "host",
      })),
    },
  };
}

function fromDockerServiceSpec(spec: DockerServiceSpec): SwarmServiceSpec {
  const container = spec.TaskTemplate?.ContainerSpec ?? {};
  const env: Record<string, string> = {};
  for (const entry of container.Env ?? []) {
    const at = entry.indexOf("=");
    if (at > 0) env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return {
    name: spec.Name ?? "",
    labels: spec.Labels ?? {},
    image: container.Image ?? "",
    command: container.Args ?? [],
    env,
    containerLabels: container.Labels ?? {},
    ports: (spec.EndpointSpec?.Ports ?? []).map(toPort),
    memoryBytes: spec.TaskTemplate?.Resources?.Limits?.MemoryBytes ?? 0,
    nanoCpus: spec.TaskTemplate?.Resources?.Limits?.NanoCPUs ?? 0,
    init: container.Init ?? false,
    restart: {
      condition: (spec.TaskTemplate?.RestartPolicy?.Condition ?? "any") as SwarmRestartCondition,
      maxAttempts: spec.TaskTemplate?.RestartPolicy?.MaxAttempts ?? 0,
    },
    stopGraceSeconds: (container.StopGracePeriod ?? 10_000_000_000) / 1_000_000_000,
    replicas: spec.Mode?.Replicated?.Replicas ?? 0,
    update: fromDockerUpdate(spec.UpdateConfig),
    rollback: fromDockerUpdate(spec.RollbackConfig),
    ...fromDockerWorkload(container, spec.TaskTemplate?.Networks),
  };
}

function toPort(port: DockerPortConfig): { containerPort: number; protocol: PortProtocol; hostPort: number } {
  return {
    containerPort: port.TargetPort ?? 0,
    protocol: (port.Protocol ?? "tcp") as PortProtocol,
    hostPort: port.PublishedPort ?? 0,
  };
}

const date = (text: string | undefined) => new Date(text ?? 0);

export function toSwarmService(service: DockerService): SwarmService {
  const status = service.UpdateStatus;
  return {
    id: service.ID,
    version: service.Version?.Index ?? 0,
    spec: fromDockerServiceSpec(service.Spec ?? {}),
    ...(service.PreviousSpec ? { previousSpec: fromDockerServiceSpec(service.PreviousSpec) } : {}),
    ...(status?.State
      ? {
          updateStatus: {
            state: status.State as SwarmUpdateState,
            message: status.Message ?? "",
            ...(status.StartedAt ? { startedAt: date(status.StartedAt) } : {}),
            ...(status.CompletedAt ? { completedAt: date(status.CompletedAt) } : {}),
          },
        }
      : {}),
    createdAt: date(service.CreatedAt),
    updatedAt: date(service.UpdatedAt),
  };
}

export function toSwarmTask(task: DockerTask): SwarmTask {
  const status = task.Status ?? {};
  return {
    id: task.ID,
    serviceId: task.ServiceID ?? "",
    slot: task.Slot ?? 0,
    nodeId: task.NodeID ?? "",
    desiredState: (task.DesiredState ?? "new") as SwarmTaskState,
    state: (status.State ?? "new") as SwarmTaskState,
    message: status.Message ?? "",
    error: status.Err ?? "",
    containerId: status.ContainerStatus?.ContainerID ?? "",
    exitCode: status.ContainerStatus?.ExitCode ?? 0,
    containerLabels: task.Spec?.ContainerSpec?.Labels ?? {},
    // The engine reports a host-mode port once per address family: one entry each.
    ports: [
      ...new Map(
        (status.PortStatus?.Ports ?? []).map(toPort).map((p) => [`${p.containerPort}/${p.protocol}/${p.hostPort}`, p]),
      ).values(),
    ],
    createdAt: date(task.CreatedAt),
    stateAt: date(status.Timestamp),
  };
}

export function toSwarmNode(node: DockerNode): SwarmNodeInfo {
  return {
    id: node.ID,
    hostname: node.Description?.Hostname ?? "",
    state: (node.Status?.State ?? "unknown") as SwarmNodeInfo["state"],
    availability: (node.Spec?.Availability ?? "active") as SwarmNodeInfo["availability"],
    role: (node.Spec?.Role ?? "worker") as SwarmNodeInfo["role"],
    address: node.Status?.Addr ?? "",
  };
}
