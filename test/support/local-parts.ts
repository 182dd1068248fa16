import type { Logger } from "pino";
import { createContainerStore, type ContainerStore } from "../../src/engine/store/container-store.js";
import { createContainerView, type ContainerView } from "../../src/orchestrator/local/container-view.js";
import { createSlotOperations, type SlotOperations } from "../../src/orchestrator/local/slot-operations.js";
import type { FakeEngine } from "./fake-engine.js";

/**
 * The shared parts the local orchestrator's pieces are built on, over a fake engine: its
 * container store (started), this instance's view of it, and the slot operations.
 */
export async function startLocalParts(engine: FakeEngine, logger: Logger, instance = "test"): Promise<{ store: ContainerStore; view: ContainerView; slots: SlotOperations }> {
  const store = createContainerStore({ engine, events: engine.events, logger });
  await store.start();
  const view = createContainerView({ store, instance, logger });
  const slots = createSlotOperations({ engine, logger, instance });
  return { store, view, slots };
}
