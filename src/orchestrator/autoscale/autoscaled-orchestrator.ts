import type { Orchestrator } from "../orchestrator.js";
import type { ServiceStatusView } from "../service-status.js";
import { createStatusWatcher } from "../status-watcher.js";
import type { Autoscaler } from "./autoscaler.js";

/**
 * The orchestrator clients see when autoscaling runs: status carries each service's last
 * autoscale decision, and a new decision is a status change (WatchStatus, WatchServices). The
 * autoscaler starts after the orchestrator and stops before it.
 */
export function withAutoscaleStatus(inner: Orchestrator, autoscaler: Autoscaler): Orchestrator {
  // The same cached view with the same decision is the same object, so whoever keys on a view's
  // identity (the status fast path keeps each view's encoding) still finds it.
  const attached = new WeakMap<ServiceStatusView, ServiceStatusView>();
  const attach = (view: ServiceStatusView): ServiceStatusView => {
    const decision = autoscaler.lastDecision(view.name);
    if (!decision) return view;
    const known = attached.get(view);
    if (known?.lastAutoscaleDecision === decision) return known;
    const withDecision = { ...view, lastAutoscaleDecision: decision };
    attached.set(view, withDecision);
    return withDecision;
  };
  const status = async (name: string) => attach(await inner.status(name));
  const onStatusChange = (listener: (service: string) => void) => {
    const offs = [inner.onStatusChange(listener), autoscaler.onDecision(listener)];
    return () => offs.forEach((off) => off());
  };
  const watcher = createStatusWatcher({ source: { status, onStatusChange } });
  return {
    ...inner,
    async start() {
      await inner.start();
      autoscaler.start();
    },
    async close() {
      await autoscaler.close();
      await inner.close();
    },
    scale: async (name, replicas, options) => attach(await inner.scale(name, replicas, options)),
    status,
    watch: (name, signal) => watcher.watch(name, signal),
    onStatusChange,
    peekStatus(name) {
      const view = inner.peekStatus(name);
      return view && attach(view);
    },
  };
}
