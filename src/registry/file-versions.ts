import { DockhandError } from "../model/dockhand-error.js";
import type { ServiceDefinition } from "../model/service-definition.js";
import type { SecretKind, SecretStore } from "./secret-store.js";

/** The key of a secret's or config's pinned version in a definition's `fileVersions`. */
export const fileVersionKey = (kind: SecretKind, name: string) => `${kind}/${name}`;

/**
 * `def` with the version of each secret and config it mounts pinned in `fileVersions`: the one
 * `stored` pinned when it mounted it already (so that applying the same definition again starts
 * no rollout), else the current one. FailedPrecondition naming the field when one does not exist:
 * CreateService, UpdateService and the service file refuse it the same way.
 */
export function withFileVersions(
  def: ServiceDefinition,
  store: Pick<SecretStore, "find">,
  stored?: ServiceDefinition,
): ServiceDefinition {
  const fileVersions: Record<string, number> = {};
  for (const [kind, files] of [
    ["secret", def.secrets],
    ["config", def.configs],
  ] as const) {
    (files ?? []).forEach((file, i) => {
      const found = store.find(kind, file.name);
      if (!found) {
        throw new DockhandError(
          "FailedPrecondition",
          `service.${kind}s[${i}].name: ${kind} "${file.name}" does not exist; create it first`,
          { details: { field: `service.${kind}s[${i}].name` } },
        );
      }
      const key = fileVersionKey(kind, file.name);
      fileVersions[key] = stored?.fileVersions?.[key] ?? found.version;
    });
  }
  const { fileVersions: _old, ...rest } = def;
  return Object.keys(fileVersions).length > 0 ? { ...rest, fileVersions } : rest;
}
