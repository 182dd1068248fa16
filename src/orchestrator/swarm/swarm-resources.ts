import { createHash } from "node:crypto";
import type { Logger } from "pino";
import type { SwarmEngine, SwarmService } from "../../engine/swarm.js";
import { DockhandError, isDockhandError, type ErrorKind } from "../../model/dockhand-error.js";
import { instanceLabel, managedByLabel } from "../../model/ownership-labels.js";
import { quote } from "../../model/quote.js";
import type { ServiceDefinition, StoredService } from "../../model/service-definition.js";
import { isSharedNetworkMode } from "../../model/workload-rules.js";
import type { SecretKind, SecretStore } from "../../registry/secret-store.js";

/** On each Swarm secret and config dockhand makes: `secret/<name>` or `config/<name>` of its registry. */
export const fileLabel = "dockhand.file";
export const fileVersionLabel = "dockhand.file-version";

/** A sweep with nothing changed still runs this often, for what another writer left. */
const sweepEveryMs = 30_000;

/** Refusals of a network's removal that mean it stays for now. */
const networkStays: ErrorKind[] = ["NotFound", "Conflict", "FailedPrecondition", "PermissionDenied"];

/** Swarm's longest secret or config name. */
const maxSwarmFileName = 64;

/**
 * The Swarm name of a version of a registry secret or config: `<name>-v<version>`. A name too
 * long for Swarm keeps a hash of the whole, so two long names never meet.
 */
export function versionedFileName(name: string, version: number): string {
  const suffix = `-v${version}`;
  if (name.length + suffix.length <= maxSwarmFileName) return `${name}${suffix}`;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 8);
  return `${name.slice(0, maxSwarmFileName - suffix.length - hash.length - 1)}-${hash}${suffix}`;
}

/** The version of a secret or config a definition pins (the registry service always pins one). */
export function pinnedVersion(def: ServiceDefinition, kind: SecretKind, name: string): number {
  return def.fileVersions?.[`${kind}/${name}`] ?? 0;
}

/** What the spec of a definition refers to by Swarm id, known once `ensure` made it. */
export interface SwarmResolver {
  networkId(name: string): string | undefined;
  fileId(kind: SecretKind, swarmName: string): string | undefined;
}

export interface SwarmResources extends SwarmResolver {
  /**
   * Makes what a definition needs exist in the swarm: each network (an existing overlay joined
   * by name, a missing one created attachable and labelled) and each pinned secret and config
   * version (created from the registry's value). Throws FailedPrecondition naming the field when
   * a network of that name is no overlay or a version is no longer kept.
   */
  ensure(def: ServiceDefinition): Promise<void>;
  /**
   * Removes this dockhand's Swarm secrets and configs that no definition pins and no service spec
   * names, and the overlay networks it made that no definition names and no service joins.
   */
  sweep(stored: readonly StoredService[], services: readonly SwarmService[]): Promise<string[]>;
}

export interface SwarmResourcesOptions {
  swarm: Pick<SwarmEngine, "networks" | "secrets" | "configs">;
  /** The registry's values; unset: definitions with secrets or configs cannot run. */
  secrets?: Pick<SecretStore, "value">;
  instance: string;
  logger: Logger;
}

const refId = (ref: { id: string } | { networkId: string }) => ("id" in ref ? ref.id : ref.networkId);

export function createSwarmResources(options: SwarmResourcesOptions): SwarmResources {
  const { swarm, instance, logger } = options;
  const networkIds = new Map<string, string>();
  const fileIds = new Map<string, string>();
  const ownership = { [managedByLabel]: "dockhand", [instanceLabel]: instance };
  const objects = (kind: SecretKind) => (kind === "secret" ? swarm.secrets : swarm.configs);
  let lastSweep = { key: "", at: 0 };

  async function ensureNetwork(network: string, field: string): Promise<void> {
    const found = await swarm.networks.inspect(network).catch((err: unknown) => {
      if (isDockhandError(err, "NotFound")) return undefined;
      throw err;
    });
    if (found) {
      if (isSharedNetworkMode(network) || found.driver === "overlay") {
        networkIds.set(network, found.id);
        return;
      }
      throw new DockhandError(
        "FailedPrecondition",
        `${field}: network ${quote(network)} is a ${found.driver} network of the manager; Swarm services join overlay networks only (remove it, or name another)`,
        { details: { field } },
      );
    }
    try {
      networkIds.set(network, await swarm.networks.createOverlay({ name: network, labels: ownership }));
    } catch (err) {
      // Made by another writer meanwhile: join that one.
      if (!isDockhandError(err, "AlreadyExists")) throw err;
      networkIds.set(network, (await swarm.networks.inspect(network)).id);
    }
  }

  async function ensureFile(kind: SecretKind, name: string, version: number, field: string): Promise<void> {
    const swarmName = versionedFileName(name, version);
    if (fileIds.has(`${kind}/${swarmName}`)) return;
    const existing = (await objects(kind).list([`${instanceLabel}=${instance}`, `${fileLabel}=${kind}/${name}`])).find(
      (o) => o.name === swarmName,
    );
    if (existing) {
      fileIds.set(`${kind}/${swarmName}`, existing.id);
      return;
    }
    let data: Uint8Array;
    try {
      if (!options.secrets) throw new DockhandError("NotFound", "no secret store");
      data = options.secrets.value(kind, name, version);
    } catch (err) {
      if (!isDockhandError(err, "NotFound")) throw err;
      throw new DockhandError(
        "FailedPrecondition",
        `${field}: version ${version} of ${kind} ${quote(name)} is no longer kept; update the service to mount the current one`,
        { details: { field } },
      );
    }
    const labels = { ...ownership, [fileLabel]: `${kind}/${name}`, [fileVersionLabel]: String(version) };
    try {
      fileIds.set(`${kind}/${swarmName}`, await objects(kind).create({ name: swarmName, labels, data }));
      logger.info({ kind, name: swarmName }, "created a swarm secret or config version");
    } catch (err) {
      if (!isDockhandError(err, "AlreadyExists")) throw err;
      const made = (await objects(kind).list([`${fileLabel}=${kind}/${name}`])).find((o) => o.name === swarmName);
      if (!made) throw err;
      fileIds.set(`${kind}/${swarmName}`, made.id);
    }
  }

  return {
    networkId: (name) => networkIds.get(name),
    fileId: (kind, swarmName) => fileIds.get(`${kind}/${swarmName}`),
    async ensure(def) {
      for (const [i, network] of (def.networks ?? []).entries()) {
        if (network.startsWith("container:")) continue;
        await ensureNetwork(network, `service.networks[${i}]`);
      }
      for (const kind of ["secret", "config"] as const) {
        for (const [i, file] of ((kind === "secret" ? def.secrets : def.configs) ?? []).entries()) {
          await ensureFile(kind, file.name, pinnedVersion(def, kind, file.name), `service.${kind}s[${i}].name`);
        }
      }
    },
    async sweep(stored, services) {
      // Nothing to find when neither the definitions nor the services changed since the last look
      // (a resync runs every few seconds; the manager need not list everything each time).
      const key = JSON.stringify([
        stored.map((s) => [s.definition.name, s.version, s.definition.fileVersions, s.definition.networks]),
        services.map((s) => [s.spec.secrets, s.spec.configs, s.spec.networks].map((refs) => refs.map(refId))),
      ]);
      if (key === lastSweep.key && Date.now() - lastSweep.at < sweepEveryMs) return [];
      lastSweep = { key, at: Date.now() };
      const removed: string[] = [];
      for (const kind of ["secret", "config"] as const) {
        const pinned = new Set<string>();
        for (const { definition: def } of stored) {
          for (const file of (kind === "secret" ? def.secrets : def.configs) ?? [])
            pinned.add(versionedFileName(file.name, pinnedVersion(def, kind, file.name)));
        }
        const named = new Set(
          services.flatMap((s) => (kind === "secret" ? s.spec.secrets : s.spec.configs).map((ref) => ref.id)),
        );
        for (const object of await objects(kind).list([`${instanceLabel}=${instance}`, fileLabel])) {
          if (pinned.has(object.name) || named.has(object.id)) continue;
          try {
            await objects(kind).remove(object.id);
            fileIds.delete(`${kind}/${object.name}`);
            removed.push(object.name);
          } catch (err) {
            // Still named by a service Swarm knows (a spec being replaced): the next pass tries again.
            if (!isDockhandError(err, "FailedPrecondition") && !isDockhandError(err, "NotFound")) throw err;
            lastSweep = { key: "", at: 0 };
          }
        }
      }
      const named = new Set(stored.flatMap((s) => s.definition.networks ?? []));
      const joined = new Set(services.flatMap((s) => s.spec.networks.map((n) => n.networkId)));
      for (const network of await swarm.networks.list([`${instanceLabel}=${instance}`, managedByLabel])) {
        if (named.has(network.name) || joined.has(network.id)) continue;
        try {
          await swarm.networks.remove(network.id);
          networkIds.delete(network.name);
          removed.push(network.name);
        } catch (err) {
          // Still attached (a task stopping, or someone's container; the engine answers 403): kept until the next pass.
          lastSweep = { key: "", at: 0 };
          if (!(err instanceof DockhandError) || !networkStays.includes(err.kind)) throw err;
        }
      }
      return removed;
    },
  };
}
