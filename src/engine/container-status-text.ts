import type { ContainerDetails } from "./types.js";

/** The engine's rough, human wording of a duration ("Less than a second", "3 minutes" ...). */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return "Less than a second";
  if (seconds === 1) return "1 second";
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return "About a minute";
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3_600_000);
  if (hours === 1) return "About an hour";
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3_600_000 / 24 / 365)} years`;
}

type StatusFields = Pick<ContainerDetails, "state" | "health" | "startedAt" | "finishedAt" | "exitCode">;

/**
 * The status text the engine's container list shows ("Up 3 minutes (healthy)", "Exited (0) 5
 * seconds ago" ...), worked out at `now` from what inspect reported, as the engine words it.
 */
export function containerStatusText(container: StatusFields, now: number): string {
  const since = (date: Date | undefined) => humanDuration(Math.max(0, now - (date?.getTime() ?? now)));
  switch (container.state) {
    case "running": {
      const health =
        container.health === "none"
          ? ""
          : container.health === "starting"
            ? " (health: starting)"
            : ` (${container.health})`;
      return `Up ${since(container.startedAt)}${health}`;
    }
    case "paused":
      return `Up ${since(container.startedAt)} (Paused)`;
    case "restarting":
      return `Restarting (${container.exitCode}) ${since(container.finishedAt)} ago`;
    case "removing":
      return "Removal In Progress";
    case "dead":
      return "Dead";
    case "created":
      return "Created";
    default:
      if (container.startedAt === undefined) return "Created";
      if (container.finishedAt === undefined) return "";
      return `Exited (${container.exitCode}) ${since(container.finishedAt)} ago`;
  }
}
