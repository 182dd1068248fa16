import type { ServiceStatusView } from "../service-status.js";

export type ServiceDrift = NonNullable<ServiceStatusView["drift"]>;

export interface DriftRecordOptions {
  /** Told the name of each service whose latest drift changed (found, repaired, expired). */
  onChange(service: string): void;
  /** How long a drift stays in status after it was found, in ms. Default 600000 (10 minutes). */
  keepMs?: number;
  now?: () => Date;
}

/**
 * The latest drift of each service, for status: found, then repaired, and shown until
 * `keepMs` after it was found or until the definition changes. Also which services this
 * dockhand saw on the engine, so that one gone missing reads as removed, not as never made.
 */
export interface DriftRecord {
  /** The service exists on the engine now. */
  saw(service: string): void;
  existed(service: string): boolean;
  /** Drift was found in a service whose definition is at `version`. The same drift found again before its repair keeps its time. */
  detected(service: string, what: string, version: number): void;
  /** The repair of the latest drift was written. */
  repaired(service: string): void;
  /** The drift status shows for the definition at `version`, if any. */
  latest(service: string, version: number): ServiceDrift | undefined;
  /** The service was deleted: nothing of it is kept. */
  forget(service: string): void;
  close(): void;
}

interface Entry extends ServiceDrift {
  version: number;
  expiry: NodeJS.Timeout;
}

export function createDriftRecord(options: DriftRecordOptions): DriftRecord {
  const keepMs = options.keepMs ?? 600_000;
  const now = options.now ?? (() => new Date());
  const entries = new Map<string, Entry>();
  const seen = new Set<string>();

  function drop(service: string): void {
    const entry = entries.get(service);
    if (!entry) return;
    clearTimeout(entry.expiry);
    entries.delete(service);
  }

  return {
    saw: (service) => void seen.add(service),
    existed: (service) => seen.has(service),
    detected(service, what, version) {
      const current = entries.get(service);
      if (current && !current.repairedAt && current.what === what && current.version === version) return;
      drop(service);
      // Expired: status no longer shows it, so watchers and caches are told.
      const expiry = setTimeout(() => {
        entries.delete(service);
        options.onChange(service);
      }, keepMs);
      expiry.unref();
      entries.set(service, { what, detectedAt: now(), version, expiry });
      options.onChange(service);
    },
    repaired(service) {
      const entry = entries.get(service);
      if (!entry || entry.repairedAt) return;
      entry.repairedAt = now();
      options.onChange(service);
    },
    latest(service, version) {
      const entry = entries.get(service);
      if (!entry || entry.version !== version || now().getTime() - entry.detectedAt.getTime() >= keepMs)
        return undefined;
      return {
        what: entry.what,
        detectedAt: entry.detectedAt,
        ...(entry.repairedAt ? { repairedAt: entry.repairedAt } : {}),
      };
    },
    forget(service) {
      drop(service);
      seen.delete(service);
    },
    close() {
      for (const service of [...entries.keys()]) drop(service);
      seen.clear();
    },
  };
}
