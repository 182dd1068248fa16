import type { EngineEventItem, EngineEvents } from "../../engine/event-stream.js";
import type { ContainerView } from "./container-view.js";
import { serviceLabel } from "../../model/ownership-labels.js";
import { createWakeup } from "../../lib/wakeup.js";

/**
 * The live view's changes, shaped as an engine event stream filtered by service label. A
 * status watcher that follows it reads status only after the view has taken the change in, and
 * all watchers share the view's one engine connection instead of opening one each.
 */
export function viewChangeEvents(view: Pick<ContainerView, "onChange">): EngineEvents {
  return {
    async *watchEvents(options): AsyncGenerator<EngineEventItem> {
      const prefix = `${serviceLabel}=`;
      const service = options.filters?.labels?.find((label) => label.startsWith(prefix))?.slice(prefix.length);
      let pending = 0;
      const wakeup = createWakeup(options.signal);
      const unsubscribe = view.onChange((changed) => {
        if (service !== undefined && changed !== service) return;
        pending++;
        wakeup.notify();
      });
      try {
        yield { kind: "connected" };
        while (!options.signal?.aborted) {
          if (pending === 0) {
            await wakeup.next();
            continue;
          }
          pending = 0;
          const time = new Date();
          yield {
            kind: "event",
            event: { type: "container", action: "change", detail: "", id: "", attributes: service ? { [serviceLabel]: service } : {}, time, timeNano: BigInt(time.getTime()) * 1_000_000n },
          };
        }
      } finally {
        unsubscribe();
        wakeup.close();
      }
    },
  };
}
