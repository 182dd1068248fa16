import type { ServiceImpl } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { DockhandError, invalidArgument } from "../../model/dockhand-error.js";
import type { SecretKind, SecretMeta, SecretStore } from "../../registry/secret-store.js";
import type { ServiceDefinition } from "../../model/service-definition.js";
import type { ServiceRegistry as Registry } from "../../registry/service-registry.js";
import { checkSecretName } from "../../model/workload-rules.js";
import { fileKey } from "../../orchestrator/local/container-files.js";
import type { ServiceRegistry } from "../../../gen/dockhand/v1/registry_pb.js";
import { checkResourceLabels } from "../container-agent/resource-labels.js";

type SecretMethods =
  | "listSecrets"
  | "getSecret"
  | "createSecret"
  | "updateSecret"
  | "deleteSecret"
  | "listConfigs"
  | "getConfig"
  | "createConfig"
  | "updateConfig"
  | "deleteConfig";

/** Swarm's limit on a secret's or config's size. */
export const maxSecretBytes = 500 * 1024;

/**
 * The value a request gives, as bytes (`value`, base64 in JSON) or as UTF-8 text (`value_text`):
 * exactly one of the two, 1 byte to 500 KiB.
 */
function checkValue(req: { value: Uint8Array; valueText: string }): Uint8Array {
  if (req.value.length > 0 && req.valueText !== "")
    throw invalidArgument("value_text", "give either value (bytes, base64 in JSON) or value_text (text), not both");
  const [field, value] =
    req.valueText !== "" ? ["value_text", new TextEncoder().encode(req.valueText)] : ["value", req.value];
  if (value.length === 0)
    throw invalidArgument(
      "value",
      "is required (1 byte to 500 KiB): value (bytes, base64 in JSON) or value_text (text)",
    );
  if (value.length > maxSecretBytes)
    throw invalidArgument(field, `must be at most ${maxSecretBytes} bytes (got ${value.length})`);
  return value;
}

function metaToProto(meta: SecretMeta) {
  return {
    name: meta.name,
    version: BigInt(meta.version),
    labels: meta.labels,
    createTime: timestampFromDate(new Date(meta.createdAt)),
    updateTime: timestampFromDate(new Date(meta.updatedAt)),
    sizeBytes: meta.sizeBytes,
  };
}

const mounted = (def: ServiceDefinition, kind: SecretKind, name: string) =>
  (kind === "secret" ? def.secrets : def.configs)?.some((f) => f.name === name) ?? false;

export interface SecretHandlerDeps {
  store: SecretStore;
  registry: Registry;
}

/** ServiceRegistry's secret and config calls. A secret's value is never returned. */
export function createSecretHandlers({
  store,
  registry,
}: SecretHandlerDeps): Pick<ServiceImpl<typeof ServiceRegistry>, SecretMethods> {
  const name = (raw: string) => {
    checkSecretName(raw, "name");
    return raw;
  };

  /** Pins the new version in every service that mounts it; each rolls as an UpdateService would. */
  async function roll(kind: SecretKind, secret: SecretMeta): Promise<string[]> {
    const rolled: string[] = [];
    for (const stored of registry.list()) {
      const def = stored.definition;
      if (!mounted(def, kind, secret.name)) continue;
      const next = { ...def, fileVersions: { ...def.fileVersions, [fileKey(kind, secret.name)]: secret.version } };
      // The orchestrator starts the rollout when the registry records it.
      await registry.update(next, { expectedVersion: 0, allowMissing: false });
      rolled.push(def.name);
    }
    return rolled.sort();
  }

  async function remove(kind: SecretKind, raw: string): Promise<Record<string, never>> {
    const users = registry
      .list()
      .filter((s) => mounted(s.definition, kind, raw))
      .map((s) => s.definition.name);
    store.get(kind, name(raw));
    if (users.length > 0) {
      throw new DockhandError(
        "FailedPrecondition",
        `${kind} "${raw}" is mounted by service(s) ${users.map((u) => `"${u}"`).join(", ")}; remove it from their definitions first`,
      );
    }
    await store.remove(kind, raw);
    return {};
  }

  return {
    listSecrets: () => ({ secrets: store.list("secret").map(metaToProto) }),
    getSecret: (req) => ({ secret: metaToProto(store.get("secret", name(req.name))) }),
    async createSecret(req) {
      return {
        secret: metaToProto(
          await store.create("secret", name(req.name), checkValue(req), checkResourceLabels(req.labels)),
        ),
      };
    },
    async updateSecret(req) {
      const secret = await store.update("secret", name(req.name), checkValue(req));
      return { secret: metaToProto(secret), rolledServices: await roll("secret", secret) };
    },
    deleteSecret: (req) => remove("secret", req.name),
    listConfigs: () => ({ configs: store.list("config").map(metaToProto) }),
    getConfig(req) {
      const config = store.get("config", name(req.name));
      return { config: { ...metaToProto(config), value: store.value("config", config.name, config.version) } };
    },
    async createConfig(req) {
      return {
        config: metaToProto(
          await store.create("config", name(req.name), checkValue(req), checkResourceLabels(req.labels)),
        ),
      };
    },
    async updateConfig(req) {
      const config = await store.update("config", name(req.name), checkValue(req));
      return { config: metaToProto(config), rolledServices: await roll("config", config) };
    },
    deleteConfig: (req) => remove("config", req.name),
  };
}
