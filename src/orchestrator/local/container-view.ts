import type { Logger } from "pino";
import type { ClaimOutcome, ContainerStore } from "../../engine/store/container-store.js";
import type { ContainerDetails } from "../../engine/types.js";
import { DockhandError, isDockhandError } from "../../model/dockhand-error.js";
import { instanceFilter, ownedBy, serviceFilter } from "../../model/ownership-labels.js";
import type { ContainerStatusView } from "../service-status.js";

export interface ContainerViewOptions {
  /** The engine's containers; the view shows those this dockhand owns. */
  store: ContainerStore;
  /** Only containers this dockhand owns are in the view. */
  instance: string;
  logger: Logger;
}

export interface OwnedContainer extends ContainerStatusView {
  service: string;
  /** Engine's record of why the last start failed, if it did. */
  error: string;
  finishedAt: Date | undefined;
}

/**
 * The containers this dockhand owns, by service: a projection of the engine's container store
 * (which the engine's events keep current), so status reads answer without asking the engine.
 */
export interface ContainerView {
  /** Stops following the store. */
  close(): void;
  /** The containers of one service, by slot. Unavailable while the engine cannot be reached. */
  containersOf(service: string): Promise<OwnedContainer[]>;
  /** Every service name that has containers on the engine. */
  services(): Promise<string[]>;
  /** True while the view is known to match the engine (built, and the engine reachable). */
  isTrusted(): boolean;
  /** Re-reads one container, after dockhand changed it, so reads see the change at once. */
  refresh(id: string): Promise<void>;
  /** Drops a container this dockhand just removed, at once (read-your-writes without another read). */
  removed(id: string): void;
  /** Claims a container name while dockhand changes it (see ContainerStore.claim); call the result when done. */
  claim(name: string): (outcome?: ClaimOutcome) => Promise<void>;
  /** Re-reads all containers of a service from the engine. */
  resyncService(service: string): Promise<void>;
  /** Called with a service's name whenever one of its containers changed. */
  onChange(listener: (service: string) => void): () => void;
}

function toOwned(details: ContainerDetails, instance: string): OwnedContainer | undefined {
  const owner = ownedBy(details.labels, instance);
  if (!owner) return undefined;
  return {
    id: details.id,
    name: details.name,
    service: owner.service,
    slot: owner.slot,
    state: details.state,
    health: details.health,
    ports: details.ports,
    startedAt: details.startedAt,
    finishedAt: details.finishedAt,
    createdAt: details.createdAt,
    definitionVersion: owner.definitionVersion,
    exitCode: details.exitCode,
    error: details.error,
  };
}

export function createContainerView(options: ContainerViewOptions): ContainerView {
  const { store, logger, instance } = options;
  const byService = new Map<string, Map<string, OwnedContainer>>();
  /** Per service, its containers sorted by slot; dropped on change and sorted again on read. */
  const sortedCache = new Map<string, OwnedContainer[]>();
  const listeners = new Set<(service: string) => void>();

  function notify(service: string): void {
    sortedCache.delete(service);
    for (const listener of listeners) {
      try {
        listener(service);
      } catch (err) {
        logger.error({ err, service }, "container view listener failed");
      }
    }
  }

  function place(id: string, owned: OwnedContainer | undefined, previousService: string | undefined): void {
    if (previousService !== undefined && previousService !== owned?.service) {
      const containers = byService.get(previousService);
      containers?.delete(id);
      if (containers?.size === 0) byService.delete(previousService);
      notify(previousService);
    }
    if (!owned) return;
    let containers = byService.get(owned.service);
    if (!containers) byService.set(owned.service, (containers = new Map()));
    containers.set(id, owned);
    notify(owned.service);
  }

  for (const details of store.containers()) {
    const owned = toOwned(details, instance);
    if (owned) place(details.id, owned, undefined);
  }
  const unsubscribe = store.onChange(({ id, before, after }) => {
    const previous = before && ownedBy(before.labels, instance)?.service;
    const owned = after && toOwned(after, instance);
    if (previous === undefined && !owned) return;
    place(id, owned, previous);
  });

  async function trusted(): Promise<void> {
    try {
      await store.ensureTrusted();
    } catch (err) {
      if (isDockhandError(err, "Unavailable")) {
        throw new DockhandError(
          "Unavailable",
          `the Docker engine cannot be reached, so container status is unknown: ${err.message}`,
          { cause: err },
        );
      }
      throw err;
    }
  }

  return {
    close() {
      unsubscribe();
      listeners.clear();
    },
    async containersOf(service) {
      await trusted();
      let sorted = sortedCache.get(service);
      if (!sorted) {
        sorted = [...(byService.get(service)?.values() ?? [])].sort(
          (a, b) => a.slot - b.slot || a.name.localeCompare(b.name),
        );
        sortedCache.set(service, sorted);
      }
      return sorted;
    },
    async services() {
      await trusted();
      return [...byService.keys()];
    },
    isTrusted: () => store.isTrusted(),
    refresh: (id) => store.refresh(id),
    removed: (id) => store.dropRemoved(id),
    claim: (name) => store.claim(name),
    resyncService: (service) =>
      store.refreshMatching({ all: true, labels: [serviceFilter(service), instanceFilter(instance)] }),
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
