import type { ContainerDescription } from "../../engine/types.js";

const zeroTime = "0001-01-01T00:00:00Z";

/**
 * A container in the shape of Docker's inspect as go-dockerclient decoded it, with the keys the
 * mistify agent's users read (`Id`, `Name` with its leading slash, `State`, `Config` ...). Only
 * what dockhand's engine module knows is filled; nothing is made up.
 */
export function inspectShape(c: ContainerDescription): Record<string, unknown> {
  return {
    Id: c.id,
    Created: c.createdAt.toISOString(),
    Path: c.command[0] ?? "",
    Args: c.command.slice(1),
    Config: {
      Image: c.image,
      Cmd: c.command,
      Labels: c.labels,
      StopTimeout: c.stopGraceSeconds,
    },
    State: {
      Status: c.state,
      Running: c.state === "running" || c.state === "paused",
      Paused: c.state === "paused",
      Restarting: c.state === "restarting",
      Dead: c.state === "dead",
      ExitCode: c.exitCode,
      Error: c.error,
      StartedAt: c.startedAt?.toISOString() ?? zeroTime,
      FinishedAt: c.finishedAt?.toISOString() ?? zeroTime,
      Health: c.health === "none" ? undefined : { Status: c.health },
    },
    Image: c.imageId,
    NetworkSettings: {
      Ports: Object.fromEntries(
        c.ports.map((p) => [`${p.containerPort}/${p.protocol}`, [{ HostIp: p.hostIp, HostPort: String(p.hostPort) }]]),
      ),
    },
    Name: `/${c.name}`,
    Mounts: c.mounts.map((m) => ({ Type: m.type, Source: m.source, Destination: m.target, RW: !m.readOnly })),
    HostConfig: {
      Memory: c.memoryBytes,
      NanoCpus: c.nanoCpus,
      Init: c.init,
      Privileged: c.hostAccess.privileged,
      NetworkMode: c.hostAccess.hostNetwork ? "host" : undefined,
      CapAdd: c.hostAccess.addCapabilities.length > 0 ? c.hostAccess.addCapabilities : undefined,
      RestartPolicy: { Name: c.restart.mode === "no" ? "" : c.restart.mode, MaximumRetryCount: c.restart.maxRetries },
    },
    RestartCount: c.restartCount,
  };
}
