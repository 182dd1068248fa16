import { useState } from "preact/hooks";
import type { ServiceStatus } from "../gen/dockhand/v1/scaler_pb.js";
import { ContainerState } from "../gen/dockhand/v1/scaler_pb.js";
import { agent, registry } from "./api.js";
import { attempt } from "./follow.js";
import { useDenied } from "./rights.js";

/** The label a redeploy sets: a definition change of its own, as `kubectl rollout restart` sets `restartedAt`. */
export const redeployLabel = "redeployed-at";

const restartProcedure = "/dockhand.v1.ContainerAgent/RestartContainer";
const updateProcedure = "/dockhand.v1.ServiceRegistry/UpdateService";

/**
 * Restart: each running container of the service restarted in place (RestartContainer), one
 * after the other, so the others keep serving. Redeploy: new containers for every slot, by a
 * rolling update under the service's update config (health-gated, paused or rolled back on
 * failure): the definition gets a new `redeployed-at` label, since an unchanged definition
 * starts no rollout.
 */
export function ServiceActions({ status }: { status: ServiceStatus }) {
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const restartDenied = useDenied(restartProcedure);
  const updateDenied = useDenied(updateProcedure);

  const restart = async () => {
    setBusy(true);
    const running = status.containers.filter((c) => c.state === ContainerState.RUNNING);
    let done = 0;
    for (const c of running) {
      setNote(`Restarting ${c.name} (${done + 1} of ${running.length})…`);
      if (!(await attempt(restartProcedure, () => agent.restartContainer({ id: c.id })))) break;
      done++;
    }
    setNote(`Restarted ${done} of ${running.length} containers.`);
    setBusy(false);
  };

  const redeploy = async () => {
    setBusy(true);
    const read = await attempt("/dockhand.v1.ServiceRegistry/GetService", () =>
      registry.getService({ name: status.name }),
    );
    if (read?.service) {
      const service = {
        ...read.service,
        labels: { ...read.service.labels, [redeployLabel]: new Date().toISOString() },
      };
      // The version read goes with it: a definition changed meanwhile is not overwritten (ABORTED).
      const answer = await attempt(updateProcedure, () => registry.updateService({ service }));
      if (answer?.service) setNote(`Redeploying as version ${answer.service.version}…`);
    }
    setBusy(false);
  };

  return (
    <span class="toolbar" role="group" aria-label={`Restart or redeploy ${status.name}`}>
      <button
        type="button"
        disabled={busy || !!restartDenied || status.running === 0}
        title={restartDenied ?? "Restart each running container in place, one after the other"}
        onClick={() => void restart()}
      >
        Restart
      </button>
      <button
        type="button"
        disabled={busy || !!updateDenied}
        title={updateDenied ?? "Replace every container with a new one, by a rolling update"}
        onClick={() => void redeploy()}
      >
        Redeploy
      </button>
      <span role="status" class="muted" data-note="actions">
        {note}
      </span>
    </span>
  );
}
