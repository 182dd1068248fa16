/**
 * The vocabulary a service definition shares with the engine: what a port, a restart policy and
 * a health check are. It lives here, below both, so that the registry can speak it without
 * depending on the engine module (which re-exports it).
 */

export type PortProtocol = "tcp" | "udp" | "sctp";

export type RestartMode = "no" | "always" | "on-failure" | "unless-stopped";

export interface HealthCheckSpec {
  /** `[]`: the image's test; `["NONE"]`; `["CMD", ...argv]`; `["CMD-SHELL", script]`. */
  test: string[];
  /** 0: the engine's default (30 s). */
  intervalMs: number;
  /** 0: the engine's default (30 s). */
  timeoutMs: number;
  /** 0: the engine's default (3). */
  retries: number;
  /** 0: none. */
  startPeriodMs: number;
}
