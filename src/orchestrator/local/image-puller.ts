import type { Logger } from "pino";
import type { Engine } from "../../engine/engine.js";
import { DockhandError, isDockhandError } from "../../model/dockhand-error.js";
import { quote } from "../../model/quote.js";

export interface ImagePuller {
  /**
   * Resolves when `ref` is on the engine, pulling it when it is absent. Concurrent calls for
   * one reference share one check and at most one pull; a failed pull rejects every caller
   * waiting for it, and the next call tries again.
   */
  ensure(ref: string): Promise<void>;
  /**
   * Forgets that `ref` was found: the next `ensure` asks the engine again. For a create the
   * engine answered NotFound (the image may have been removed since).
   */
  forget(ref: string): void;
}

export interface ImagePullerOptions {
  engine: Engine;
  logger: Logger;
}

export function createImagePuller(options: ImagePullerOptions): ImagePuller {
  const { engine, logger } = options;
  /** One check-then-pull per reference at a time; removed when it settles. */
  const inFlight = new Map<string, Promise<void>>();
  /** References found on the engine: not asked again until a create says otherwise (`forget`). */
  const present = new Set<string>();

  async function checkThenPull(ref: string): Promise<void> {
    try {
      await engine.images.inspect(ref);
      return;
    } catch (err) {
      if (!isDockhandError(err, "NotFound")) throw err;
    }
    logger.info({ image: ref }, "pulling missing image");
    try {
      const pulled = await engine.images.pull(ref);
      logger.info({ image: ref, imageId: pulled.imageId, digest: pulled.digest }, "pulled image");
    } catch (err) {
      const failure = isDockhandError(err) ? err : new DockhandError("Internal", String(err), { cause: err });
      // A registry that cannot deliver the image is a precondition of the caller's work, whatever
      // the registry said (NOT_FOUND from a Scale would read as "no such service").
      const kind = failure.kind === "Cancelled" || failure.kind === "Timeout" ? failure.kind : "FailedPrecondition";
      throw new DockhandError(
        kind,
        `image ${quote(ref)} is not on the engine and pulling it failed: ${failure.message}`,
        {
          cause: err,
          details: { field: "image", pullError: failure.kind },
        },
      );
    }
  }

  return {
    ensure(ref) {
      if (present.has(ref)) return Promise.resolve();
      let work = inFlight.get(ref);
      if (!work) {
        work = checkThenPull(ref)
          .then(() => void present.add(ref))
          .finally(() => inFlight.delete(ref));
        inFlight.set(ref, work);
      }
      return work;
    },
    forget: (ref) => void present.delete(ref),
  };
}
