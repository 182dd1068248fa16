import type { Logger } from "pino";
import type { Engine } from "../../engine/engine.js";
import { DockhandError, isDockhandError } from "../../model/dockhand-error.js";
import type { StoredService } from "../../model/service-definition.js";
import { containerSpecFor } from "./container-spec.js";
import { createImagePuller } from "./image-puller.js";
import { slotContainerName } from "../../model/ownership-labels.js";
import { ensureVolumes } from "./service-volumes.js";
import { createNetworkEnsurer } from "./service-networks.js";
import { containerFilesFor } from "./container-files.js";
import type { SecretStore } from "../../registry/secret-store.js";
import { conditionTypeOf, isPortTaken, markCondition } from "../conditions.js";

/** What is needed to stop and remove one container. */
export interface RemovableContainer {
  id: string;
  name: string;
  state: string;
}

export interface SlotOperations {
  /** Pulls the service's image when the engine does not have it (once per reference). */
  ensureImage(stored: StoredService): Promise<void>;
  /** Creates and starts the container of a slot (named `<service>-<slot>` unless `name`); returns its id. */
  fillSlot(stored: StoredService, slot: number, name?: string): Promise<string>;
  /** Stops gracefully (SIGTERM, SIGKILL after `graceSeconds`) and removes. Missing is fine. */
  removeContainer(container: RemovableContainer, graceSeconds: number): Promise<void>;
}

export function createSlotOperations(options: {
  engine: Engine;
  logger: Logger;
  instance: string;
  secrets?: SecretStore;
}): SlotOperations {
  const { engine, logger, instance } = options;
  const images = createImagePuller({ engine, logger });
  const ensureNetworks = createNetworkEnsurer(engine, instance);

  /**
   * Creates the container without looking for its image first (one engine call fewer per
   * container): when the engine answers NotFound (an image never pulled or removed since, or a
   * volume or network gone), the image is looked for (pulled if it is missing, which the pull's
   * own condition reports when it fails) and the create tried once more.
   */
  async function createContainer(stored: StoredService, slot: number, name: string): Promise<string> {
    const spec = { ...containerSpecFor(stored, slot, instance), name };
    try {
      return await engine.containers.create(spec);
    } catch (err) {
      if (!isDockhandError(err, "NotFound")) throw err;
      images.forget(stored.definition.image);
      await operations.ensureImage(stored);
      return engine.containers.create(spec);
    }
  }

  const operations: SlotOperations = {
    async ensureImage(stored) {
      const { image, name } = stored.definition;
      try {
        await images.ensure(image);
      } catch (err) {
        if (!isDockhandError(err) || err.details.pullError === undefined)
          throw err instanceof Error ? markCondition(err, "image_pull_failed") : err;
        throw markCondition(
          new DockhandError(err.kind, `service "${name}": ${err.message}`, { cause: err, details: err.details }),
          "image_pull_failed",
        );
      }
    },

    async fillSlot(stored, slot, givenName) {
      const name = givenName ?? slotContainerName(stored.definition.name, slot);
      let id: string;
      let files: ReturnType<typeof containerFilesFor>;
      try {
        // A secret or config the definition mounts must exist before anything is made for it.
        files = containerFilesFor(stored.definition, options.secrets);
      } catch (err) {
        throw err instanceof Error ? markCondition(err, "waiting_on_secret") : err;
      }
      try {
        await ensureVolumes(engine, instance, stored.definition, slot);
        await ensureNetworks(stored.definition);
        id = await createContainer(stored, slot, name);
      } catch (err) {
        if (isDockhandError(err, "AlreadyExists")) {
          throw markCondition(
            new DockhandError(
              "FailedPrecondition",
              `container name "${name}" is taken by a container dockhand does not own; rename or remove it`,
              { cause: err },
            ),
            "create_refused",
          );
        }
        // An image that could not be pulled on the create's retry keeps its own condition.
        throw err instanceof Error && !conditionTypeOf(err) ? markCondition(err, "create_refused") : err;
      }
      try {
        // Copied in before start, never passed as environment or labels: `docker inspect` and
        // the logs do not show them.
        if (files.length > 0) await engine.containers.copyFiles(id, files);
        await engine.containers.start(id);
      } catch (err) {
        // A container that cannot start is removed so that failed attempts never pile up.
        await engine.containers.remove(id, { force: true, volumes: true }).catch(() => undefined);
        // The engine refuses what the definition or the host causes (a host port in use, a
        // command that does not exist): a failed precondition, not dockhand's fault.
        if (
          isDockhandError(err, "FailedPrecondition") ||
          isDockhandError(err, "Internal") ||
          isDockhandError(err, "InvalidArgument")
        ) {
          throw markCondition(
            new DockhandError("FailedPrecondition", `container "${name}" could not start: ${err.message}`, {
              cause: err,
            }),
            isPortTaken(err.message) ? "port_taken" : "start_failed",
          );
        }
        throw err;
      }
      logger.debug({ containerId: id, container: name }, "started container");
      return id;
    },

    async removeContainer(container, graceSeconds) {
      if (container.state === "running" || container.state === "paused" || container.state === "restarting") {
        try {
          await engine.containers.stop(container.id, graceSeconds);
        } catch (err) {
          if (!isDockhandError(err, "NotModified") && !isDockhandError(err, "NotFound")) throw err;
        }
      }
      try {
        await engine.containers.remove(container.id, { force: true, volumes: true });
        logger.debug({ containerId: container.id, container: container.name }, "removed container");
      } catch (err) {
        if (!isDockhandError(err, "NotFound")) throw err;
      }
    },
  };
  return operations;
}
