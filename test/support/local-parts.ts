import type { Logger } from "pino";
import { createContainerStore, type ContainerStore } from "../../src/engine/store/container-store.js";
import { createContainerView, type ContainerView } from "../../src/orchestrator/local/container-view.js";
import { createSlotOperations, type SlotOperations } from "../../src/orchestrator/local/slot-operations.js";
import type { FakeEngine } from "./fake-engine.js";
import type { KeyedLock } from "../../src/lib/keyed-lock.js";
import { scalerVerbs } from "../../src/orchestrator/local/local-orchestrator.js";
import type { Scaler } from "../../src/orchestrator/local/service-scaler.js";
import type { Orchestrator } from "../../src/orchestrator/orchestrator.js";
import type { ServiceBackend } from "../../src/orchestrator/service-backend.js";
import { createServiceController } from "../../src/orchestrator/service-controller.js";
import type { ServiceRegistry } from "../../src/registry/service-registry.js";

/**
 * The shared parts the local orchestrator's pieces are built on, over a fake engine: its
 * container store (started), this instance's view of it, and the slot operations.
 */
export async function startLocalParts(
  engine: FakeEngine,
  logger: Logger,
  instance = "test",
): Promise<{ store: ContainerStore; view: ContainerView; slots: SlotOperations }> {
  const store = createContainerStore({ engine, events: engine.events, logger });
  await store.start();
  const view = createContainerView({ store, instance, logger });
  const slots = createSlotOperations({ engine, logger, instance });
  return { store, view, slots };
}

/**
 * The service controller over a scaler and its view: Scale, delete and status as the local
 * orchestrator answers them, without its reconciler or rolling updater (those a test builds
 * itself when it wants them). The scaler must be built with `lock`.
 */
export function controllerOver(
  scaler: Scaler,
  parts: { registry: ServiceRegistry; view: ContainerView; logger: Logger; lock: KeyedLock },
  maxReplicas?: number,
): Orchestrator {
  const absent = () => {
    throw new Error("not part of this test's backend");
  };
  const backend: ServiceBackend = {
    kind: "local",
    start: async () => undefined,
    close: async () => undefined,
    ...scalerVerbs(scaler, parts.view),
    rollOut: () => undefined,
    logs: absent,
    purgeVolumes: absent,
    unusedVolumes: absent,
    orphans: absent,
    resync: absent,
  };
  return createServiceController({
    registry: parts.registry,
    backend,
    lock: parts.lock,
    logger: parts.logger,
    maxReplicas,
  });
}
