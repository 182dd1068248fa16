import { useEffect, useRef, useState } from "preact/hooks";
import type { Container } from "../gen/dockhand/v1/agent_containers_pb.js";
import { EventType } from "../gen/dockhand/v1/agent_streams_pb.js";
import { ContainerState } from "../gen/dockhand/v1/scaler_pb.js";
import { agent, registry } from "./api.js";
import { ConfirmButton } from "./confirm-button.js";
import { ContainerFilters } from "./container-filters.js";
import { ConsolePanel } from "./console-panel.js";
import { attempt, follow } from "./follow.js";
import { healthName, listedHealth, shortId, stateName } from "./format.js";
import { LogsPanel } from "./logs-panel.js";
import { PortLinks } from "./port-links.js";
import { StatsPanel } from "./stats-panel.js";
import { useDenied } from "./rights.js";

const path = (method: string) => `/dockhand.v1.ContainerAgent/${method}`;
const serviceLabel = "dockhand.service";

/** The request for what the filters ask: one service's, every dockhand service's, or everything. */
function listRequest(service: string, all: boolean) {
  if (service) return { all: true, service };
  return all ? { all: true } : { all: true, labelSelector: [serviceLabel] };
}

/**
 * The engine's containers, listed again whenever a container event arrives (one stream). By
 * default only dockhand's own: those of the services it defines; `all` shows every container,
 * `service` one service's.
 */
export function ContainersView({ service, all }: { service: string; all: boolean }) {
  const [containers, setContainers] = useState<readonly Container[] | undefined>(undefined);
  const [services, setServices] = useState<ReadonlySet<string>>(new Set());
  const [chosen, setChosen] = useState<string | undefined>(undefined);
  const listing = useRef<Promise<void> | undefined>(undefined);
  const again = useRef(false);
  const filters = useRef({ service, all });
  filters.current = { service, all };

  const list = () => {
    if (listing.current) {
      again.current = true;
      return;
    }
    listing.current = (async () => {
      // The filters in force when the call starts (a list asked meanwhile runs after this one).
      const { service, all } = filters.current;
      const [answer, defined] = await Promise.all([
        attempt(path("ListContainers"), () => agent.listContainers(listRequest(service, all))),
        attempt("/dockhand.v1.ServiceRegistry/ListServices", () => registry.listServices({})),
      ]);
      const names = new Set(defined?.services.map((s) => s.name));
      setServices(names);
      if (answer && filters.current.service === service && filters.current.all === all) {
        const own = (c: Container) => names.has(c.labels[serviceLabel] ?? "");
        setContainers(all && !service ? answer.containers : answer.containers.filter(own));
      }
      listing.current = undefined;
      if (again.current) {
        again.current = false;
        list();
      }
    })();
  };
  useEffect(() => {
    setContainers(undefined);
    return follow(
      (signal) => agent.watchEvents({ types: [EventType.CONTAINER] }, { signal }),
      // Health checks run as execs: their events change nothing listed.
      (m) => (m.item.case === "event" && m.item.value.rawAction.startsWith("exec_") ? undefined : list()),
      { procedure: path("WatchEvents") },
    );
  }, [service, all]);

  const stopDenied = useDenied(path("StopContainer"));
  const startDenied = useDenied(path("StartContainer"));
  const restartDenied = useDenied(path("RestartContainer"));
  const pauseDenied = useDenied(path("PauseContainer"));
  const deleteDenied = useDenied(path("DeleteContainer"));
  const act = (
    method: "startContainer" | "stopContainer" | "restartContainer" | "pauseContainer" | "unpauseContainer",
    id: string,
  ) =>
    void attempt(path(method.charAt(0).toUpperCase() + method.slice(1)), async (): Promise<unknown> =>
      agent[method]({ id }),
    );
  const selected = containers?.find((c) => c.id === chosen);
  return (
    <section aria-labelledby="containers-title">
      <h2 id="containers-title">Containers</h2>
      <ContainerFilters service={service} all={all} services={services} />
      {!containers ? (
        <p role="status">Loading…</p>
      ) : containers.length === 0 ? (
        <p>{service ? `No containers of ${service}.` : "No containers of dockhand's services."}</p>
      ) : (
        <table class="containers">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Service</th>
              <th scope="col">Image</th>
              <th scope="col">State</th>
              <th scope="col">Status</th>
              <th scope="col">Health</th>
              <th scope="col">Ports</th>
              <th scope="col">Id</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {containers.map((c) => {
              const running = c.state === ContainerState.RUNNING;
              const paused = c.state === ContainerState.PAUSED;
              const owner = services.has(c.labels[serviceLabel] ?? "") ? c.labels[serviceLabel] : undefined;
              return (
                <tr key={c.id} data-container={c.name} aria-selected={c.id === chosen}>
                  <th scope="row">
                    <a href={`#/container/${encodeURIComponent(c.id)}`}>{c.name}</a>
                  </th>
                  <td data-col="service">
                    {owner ? (
                      <a href={`#/services/${encodeURIComponent(owner)}`}>{owner}</a>
                    ) : (
                      <span class="muted">not dockhand's</span>
                    )}
                  </td>
                  <td>{c.image}</td>
                  <td>{stateName(c.state)}</td>
                  <td>{c.status}</td>
                  <td data-col="health">{healthName(listedHealth(c))}</td>
                  <td data-col="ports">
                    <PortLinks ports={c.ports} />
                  </td>
                  <td>
                    <code>{shortId(c.id)}</code>
                  </td>
                  <td class="actions">
                    <button type="button" aria-pressed={c.id === chosen} onClick={() => setChosen(c.id)}>
                      Details<span class="visually-hidden"> of {c.name}</span>
                    </button>
                    <button
                      type="button"
                      disabled={running || paused || !!startDenied}
                      title={startDenied}
                      onClick={() => act("startContainer", c.id)}
                    >
                      Start
                    </button>
                    <button
                      type="button"
                      disabled={!running || !!stopDenied}
                      title={stopDenied}
                      onClick={() => act("stopContainer", c.id)}
                    >
                      Stop
                    </button>
                    <button
                      type="button"
                      disabled={!!restartDenied}
                      title={restartDenied}
                      onClick={() => act("restartContainer", c.id)}
                    >
                      Restart
                    </button>
                    <button
                      type="button"
                      disabled={!(running || paused) || !!pauseDenied}
                      title={pauseDenied}
                      onClick={() => act(paused ? "unpauseContainer" : "pauseContainer", c.id)}
                    >
                      {paused ? "Unpause" : "Pause"}
                    </button>
                    <ConfirmButton
                      label="Delete"
                      question={owner ? `Delete ${c.name}?` : `${c.name} is not dockhand's: delete it anyway?`}
                      disabled={!!deleteDenied}
                      title={deleteDenied}
                      onConfirm={() =>
                        void attempt(path("DeleteContainer"), () => agent.deleteContainer({ id: c.id, force: true }))
                      }
                    />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {selected ? (
        <div class="panels">
          <LogsPanel id={selected.id} label={selected.name} />
          <StatsPanel id={selected.id} label={selected.name} />
          <ConsolePanel id={selected.id} label={selected.name} />
        </div>
      ) : null}
    </section>
  );
}
