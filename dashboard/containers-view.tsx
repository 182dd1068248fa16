import { useEffect, useRef, useState } from "preact/hooks";
import type { Container } from "../gen/dockhand/v1/agent_containers_pb.js";
import { EventType } from "../gen/dockhand/v1/agent_streams_pb.js";
import { ContainerState } from "../gen/dockhand/v1/scaler_pb.js";
import { agent } from "./api.js";
import { ConfirmButton } from "./confirm-button.js";
import { ExecBox } from "./exec-box.js";
import { attempt, follow } from "./follow.js";
import { healthName, shortId, stateName } from "./format.js";
import { LogsPanel } from "./logs-panel.js";
import { StatsPanel } from "./stats-panel.js";
import { useDenied } from "./rights.js";

const path = (method: string) => `/dockhand.v1.ContainerAgent/${method}`;

/** Everything on the engine, listed again whenever a container event arrives (one stream). */
export function ContainersView() {
  const [containers, setContainers] = useState<readonly Container[] | undefined>(undefined);
  const [chosen, setChosen] = useState<string | undefined>(undefined);
  const listing = useRef<Promise<void> | undefined>(undefined);
  const again = useRef(false);

  const list = () => {
    if (listing.current) {
      again.current = true;
      return;
    }
    listing.current = (async () => {
      const answer = await attempt(path("ListContainers"), () => agent.listContainers({ all: true }));
      if (answer) setContainers(answer.containers);
      listing.current = undefined;
      if (again.current) {
        again.current = false;
        list();
      }
    })();
  };
  useEffect(
    () =>
      follow(
        (signal) => agent.watchEvents({ types: [EventType.CONTAINER] }, { signal }),
        () => list(),
        { procedure: path("WatchEvents") },
      ),
    [],
  );

  const stopDenied = useDenied(path("StopContainer"));
  const startDenied = useDenied(path("StartContainer"));
  const operatorDenied = stopDenied ?? startDenied;
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
      {!containers ? (
        <p role="status">Loading…</p>
      ) : (
        <table class="containers">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Image</th>
              <th scope="col">State</th>
              <th scope="col">Status</th>
              <th scope="col">Health</th>
              <th scope="col">Id</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {containers.map((c) => {
              const running = c.state === ContainerState.RUNNING;
              const paused = c.state === ContainerState.PAUSED;
              return (
                <tr key={c.id} data-container={c.name} aria-selected={c.id === chosen}>
                  <th scope="row">{c.name}</th>
                  <td>{c.image}</td>
                  <td>{stateName(c.state)}</td>
                  <td>{c.status}</td>
                  <td>{healthName(c.health)}</td>
                  <td>
                    <code>{shortId(c.id)}</code>
                  </td>
                  <td class="actions">
                    <button type="button" aria-pressed={c.id === chosen} onClick={() => setChosen(c.id)}>
                      Details<span class="visually-hidden"> of {c.name}</span>
                    </button>
                    <button
                      type="button"
                      disabled={running || paused || !!operatorDenied}
                      onClick={() => act("startContainer", c.id)}
                    >
                      Start
                    </button>
                    <button
                      type="button"
                      disabled={!running || !!operatorDenied}
                      onClick={() => act("stopContainer", c.id)}
                    >
                      Stop
                    </button>
                    <button type="button" disabled={!!operatorDenied} onClick={() => act("restartContainer", c.id)}>
                      Restart
                    </button>
                    <button
                      type="button"
                      disabled={!(running || paused) || !!operatorDenied}
                      onClick={() => act(paused ? "unpauseContainer" : "pauseContainer", c.id)}
                    >
                      {paused ? "Unpause" : "Pause"}
                    </button>
                    <ConfirmButton
                      label="Delete"
                      question={`Delete ${c.name}?`}
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
          <ExecBox id={selected.id} label={selected.name} />
        </div>
      ) : null}
    </section>
  );
}
