import type { ServiceImpl } from "@connectrpc/connect";
import { DockhandError } from "../../model/dockhand-error.js";
import type { EngineHealth, ServingState } from "../../engine/engine-health.js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../../gen/grpc/health/v1/health_pb.js";
import { quote } from "../../model/quote.js";
import { createWakeup } from "../../lib/wakeup.js";

const toStatus: Record<ServingState, Status> = { SERVING: Status.SERVING, NOT_SERVING: Status.NOT_SERVING };

/**
 * grpc.health.v1.Health. Every dockhand service needs the Docker engine, so the server as a
 * whole ("") and each of its services share one state: SERVING while the engine answers.
 */
export function createHealthService(health: EngineHealth, serviceNames: readonly string[]): ServiceImpl<typeof Health> {
  const known = new Set(["", ...serviceNames]);
  return {
    check(req) {
      if (!known.has(req.service)) {
        throw new DockhandError("NotFound", `service ${quote(req.service)} is not served here`, {
          details: { field: "service" },
        });
      }
      return { status: toStatus[health.current()] };
    },
    async *watch(req, ctx) {
      if (!known.has(req.service)) {
        // The spec answers an unknown service with SERVICE_UNKNOWN and keeps the stream open.
        yield { status: Status.SERVICE_UNKNOWN };
        await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
        return;
      }
      const changes: ServingState[] = [];
      const wakeup = createWakeup(ctx.signal);
      const unsubscribe = health.subscribe((state) => {
        changes.push(state);
        wakeup.notify();
      });
      try {
        let sent = health.current();
        yield { status: toStatus[sent] };
        while (!ctx.signal.aborted) {
          const state = changes.shift();
          if (state === undefined) {
            await wakeup.next();
            continue;
          }
          if (state === sent) continue;
          sent = state;
          yield { status: toStatus[state] };
        }
      } finally {
        unsubscribe();
        wakeup.close();
      }
    },
  };
}
