import type { ContainerFile } from "../../engine/tar-writer.js";
import { DockhandError } from "../../model/dockhand-error.js";
import type { SecretKind, SecretStore } from "../../registry/secret-store.js";
import type { ServiceDefinition } from "../../model/service-definition.js";

/** The key of a secret or config in a definition's `fileVersions`. */
export const fileKey = (kind: SecretKind, name: string) => `${kind}/${name}`;

/** The secret and config files of a definition's containers, at the versions it pins. */
export function containerFilesFor(def: ServiceDefinition, store: SecretStore | undefined): ContainerFile[] {
  const refs = [
    ...(def.secrets ?? []).map((f) => ["secret", f] as const),
    ...(def.configs ?? []).map((f) => ["config", f] as const),
  ];
  if (refs.length === 0) return [];
  if (!store)
    throw new DockhandError(
      "FailedPrecondition",
      `service "${def.name}" mounts secrets or configs, but this dockhand has no secret store`,
    );
  return refs.map(([kind, file]) => {
    const version = def.fileVersions?.[fileKey(kind, file.name)] ?? store.get(kind, file.name).version;
    return {
      path: file.target,
      content: store.value(kind, file.name, version),
      mode: file.mode,
      uid: file.uid,
      gid: file.gid,
    };
  });
}
