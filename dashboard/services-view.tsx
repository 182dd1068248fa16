import { useEffect, useRef, useState } from "preact/hooks";
import type { ServiceStatus } from "../gen/dockhand/v1/scaler_pb.js";
import type { Service } from "../gen/dockhand/v1/service_pb.js";
import { HealthStatus } from "../gen/dockhand/v1/scaler_pb.js";
import { UpdateState } from "../gen/dockhand/v1/service_pb.js";
import { registry, scaler } from "./api.js";
import { ConfirmButton } from "./confirm-button.js";
import { attempt, follow } from "./follow.js";
import { conditionName, isReady, updateName } from "./format.js";
import { ScaleControl } from "./scale-control.js";
import { useDenied } from "./rights.js";

function healthSummary(s: ServiceStatus): string {
  const count = (h: HealthStatus) => s.containers.filter((c) => c.health === h).length;
  const parts = [
    [count(HealthStatus.HEALTHY), "healthy"],
    [count(HealthStatus.UNHEALTHY), "unhealthy"],
    [count(HealthStatus.STARTING), "starting"],
  ].filter(([n]) => n !== 0);
  return parts.length === 0 ? "no healthcheck" : parts.map(([n, word]) => `${n} ${word}`).join(", ");
}

/** Every service, live from one WatchServices stream; definitions are read when a version is new. */
export function ServicesView() {
  const [statuses, setStatuses] = useState<ReadonlyMap<string, ServiceStatus>>(new Map());
  const [definitions, setDefinitions] = useState<ReadonlyMap<string, Service>>(new Map());
  const [loaded, setLoaded] = useState(false);
  const known = useRef(new Map<string, bigint>());
  const reading = useRef(false);
  const readAgain = useRef(false);

  /** One ListServices at a time; a version seen meanwhile asks for one more after it. */
  const readDefinitions = async (): Promise<void> => {
    if (reading.current) {
      readAgain.current = true;
      return;
    }
    reading.current = true;
    const answer = await attempt("/dockhand.v1.ServiceRegistry/ListServices", () => registry.listServices({}));
    reading.current = false;
    if (answer) {
      known.current = new Map(answer.services.map((s) => [s.name, s.version]));
      setDefinitions(new Map(answer.services.map((s) => [s.name, s])));
    }
    if (readAgain.current) {
      readAgain.current = false;
      return readDefinitions();
    }
  };

  useEffect(
    () =>
      follow(
        (signal) => scaler.watchServices({}, { signal }),
        (change, fresh) => {
          setLoaded(true);
          setStatuses((before) => {
            const next = new Map(change.reset || fresh ? [] : before);
            for (const status of change.statuses) next.set(status.name, status);
            for (const name of change.removed) next.delete(name);
            return next;
          });
          if (change.statuses.some((s) => known.current.get(s.name) !== s.version)) void readDefinitions();
        },
        { procedure: "/dockhand.v1.Scaler/WatchServices" },
      ),
    [],
  );

  const rollbackDenied = useDenied("/dockhand.v1.Scaler/Rollback");
  const deleteDenied = useDenied("/dockhand.v1.ServiceRegistry/DeleteService");
  const rows = [...statuses.values()].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <section aria-labelledby="services-title">
      <h2 id="services-title">Services</h2>
      <div class="toolbar">
        <a href="#/create-service">Create a service</a>
      </div>
      {!loaded ? (
        <p role="status">Loading…</p>
      ) : rows.length === 0 ? (
        <p>
          No services yet: <a href="#/create-service">create one</a>.
        </p>
      ) : (
        <table class="services">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Image</th>
              <th scope="col">Desired</th>
              <th scope="col">Running</th>
              <th scope="col">Ready</th>
              <th scope="col">Update</th>
              <th scope="col">Crash-looping</th>
              <th scope="col">Health</th>
              <th scope="col">Scale</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => {
              const update = s.update;
              return (
                <tr key={s.name} data-service={s.name}>
                  <th scope="row">
                    <a href={`#/services/${encodeURIComponent(s.name)}`}>{s.name}</a>
                    {s.conditions.length > 0 ? (
                      <div class="bad" data-col="stuck" title={s.conditions.map((c) => c.message).join("\n")}>
                        {conditionName(s.conditions[0]!.type)}
                        {s.conditions.length > 1 ? ` (+${s.conditions.length - 1})` : ""}
                      </div>
                    ) : null}
                  </th>
                  <td>{definitions.get(s.name)?.image ?? "…"}</td>
                  <td data-col="desired">{s.desired}</td>
                  <td>
                    <span data-col="running">{s.running}</span>
                    {s.paused > 0 ? <span class="muted"> ({s.paused} paused)</span> : null}
                  </td>
                  <td data-col="ready">{s.containers.filter(isReady).length}</td>
                  <td data-col="update">
                    {update ? `${updateName(update.state)} v${update.fromVersion}→v${update.toVersion}` : "—"}
                    {update && (update.state === UpdateState.UPDATING || update.state === UpdateState.ROLLING_BACK) ? (
                      <div>
                        {s.containers.filter((c) => c.definitionVersion === s.version).length} of {s.containers.length}{" "}
                        on v{String(s.version)}
                      </div>
                    ) : null}
                    {update?.message ? <div class="muted">{update.message}</div> : null}
                  </td>
                  <td data-col="crash">{s.crashLooping ? <strong class="bad">yes</strong> : "no"}</td>
                  <td>{healthSummary(s)}</td>
                  <td>
                    <ScaleControl name={s.name} desired={s.desired} />
                  </td>
                  <td class="actions">
                    <button
                      type="button"
                      disabled={!!rollbackDenied || !update}
                      title={rollbackDenied}
                      onClick={() =>
                        void attempt("/dockhand.v1.Scaler/Rollback", () => scaler.rollback({ name: s.name }))
                      }
                    >
                      Rollback
                    </button>
                    <ConfirmButton
                      label="Delete"
                      question={`Delete ${s.name} and its containers?`}
                      disabled={!!deleteDenied}
                      title={deleteDenied}
                      onConfirm={() =>
                        void attempt("/dockhand.v1.ServiceRegistry/DeleteService", () =>
                          registry.deleteService({ name: s.name, force: true }),
                        )
                      }
                    />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
