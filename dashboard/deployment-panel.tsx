import { useState } from "preact/hooks";
import type { ServiceStatus } from "../gen/dockhand/v1/scaler_pb.js";
import { UpdateState } from "../gen/dockhand/v1/service_pb.js";
import { scaler } from "./api.js";
import { attempt } from "./follow.js";
import { useDenied } from "./rights.js";

const promoteProcedure = "/dockhand.v1.Scaler/Promote";
const rollbackProcedure = "/dockhand.v1.Scaler/Rollback";

/**
 * A deployment with canaries: both versions, how many of each run and are ready, and the
 * Promote and Revert buttons (operator) while the canaries wait, or after one failed.
 */
export function DeploymentPanel({ status }: { status: ServiceStatus }) {
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const promoteDenied = useDenied(promoteProcedure);
  const rollbackDenied = useDenied(rollbackProcedure);
  const update = status.update;
  const waiting =
    update && update.canaries > 0 && (update.state === UpdateState.CANARY || update.state === UpdateState.PAUSED);
  if (!update || (!waiting && update.canaries === 0)) return null;

  const act = async (procedure: string, call: () => Promise<unknown>, done: string) => {
    setBusy(true);
    if (await attempt(procedure, call)) setNote(done);
    setBusy(false);
  };

  return (
    <section class="deployment" aria-label={`Deployment of ${status.name}`} data-deployment={UpdateState[update.state]}>
      <span>
        v{String(update.fromVersion)}: <strong data-col="old-running">{update.oldRunning}</strong> running
      </span>
      <span>
        v{String(update.toVersion)}: <strong data-col="new-running">{update.newRunning}</strong> running,{" "}
        <strong data-col="new-ready">{update.newReady}</strong> ready (
        <span data-col="canaries">{update.canaries}</span> canaries)
      </span>
      {waiting ? (
        <span class="toolbar" role="group" aria-label="Promote or revert the canaries">
          <button
            type="button"
            disabled={busy || !!promoteDenied}
            title={promoteDenied ?? "Replace the rest of the old containers; each canary takes its slot's place"}
            onClick={() => void act(promoteProcedure, () => scaler.promote({ name: status.name }), "Promoting…")}
          >
            Promote
          </button>
          <button
            type="button"
            disabled={busy || !!rollbackDenied}
            title={rollbackDenied ?? "Remove the canaries and keep the old version"}
            onClick={() => void act(rollbackProcedure, () => scaler.rollback({ name: status.name }), "Reverting…")}
          >
            Revert
          </button>
        </span>
      ) : null}
      <span role="status" class="muted" data-note="deployment">
        {note}
      </span>
    </section>
  );
}
