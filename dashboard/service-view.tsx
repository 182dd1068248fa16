import { useEffect, useState } from "preact/hooks";
import type { ContainerStatus, ServiceStatus } from "../gen/dockhand/v1/scaler_pb.js";
import { agent, scaler } from "./api.js";
import { containersHref } from "./container-filters.js";
import { DefinitionEditor } from "./definition-editor.js";
import { DeploymentPanel } from "./deployment-panel.js";
import { AutoscaleChart } from "./autoscale-chart.js";
import { follow } from "./follow.js";
import { conditionName, healthName, isReady, shortLine, stateName, time, updateName } from "./format.js";
import { LogsPanel } from "./logs-panel.js";
import { PortLinks } from "./port-links.js";
import { ServiceActions } from "./service-actions.js";
import { ScaleControl } from "./scale-control.js";
import { StatsPanel } from "./stats-panel.js";
import { ConsolePanel } from "./console-panel.js";

/** Characters of a container's last line shown in its row: a 30 KB line must not slow the table. */
const lastLineChars = 200;

/** The last line a container wrote, read again whenever it starts or stops. */
function LastLine({ container }: { container: ContainerStatus }) {
  const [line, setLine] = useState("");
  const key = `${container.id}:${container.state}:${container.startTime?.seconds ?? ""}`;
  useEffect(() => {
    const stop = new AbortController();
    void (async () => {
      try {
        let last = "";
        for await (const message of agent.streamLogs(
          { id: container.id, follow: false, tail: 1 },
          { signal: stop.signal },
        )) {
          last = message.runs.flatMap((r) => r.lines).at(-1) ?? last;
        }
        setLine(shortLine(last, lastLineChars));
      } catch {
        // A container removed meanwhile has no last line; the row goes with the next status.
      }
    })();
    return () => stop.abort();
  }, [key]);
  return <span class="last-line">{line}</span>;
}

/** One service: its containers live (WatchStatus), the chosen one's logs and stats, its definition. */
export function ServiceView({ name }: { name: string }) {
  const [status, setStatus] = useState<ServiceStatus | undefined>(undefined);
  const [chosen, setChosen] = useState<string | undefined>(undefined);
  useEffect(() => {
    setStatus(undefined);
    return follow(
      (signal) => scaler.watchStatus({ name }, { signal }),
      (m) => setStatus(m.status),
      { procedure: "/dockhand.v1.Scaler/WatchStatus" },
    );
  }, [name]);

  const containers = status?.containers ?? [];
  const selected = containers.find((c) => c.id === chosen) ?? containers.find((c) => c.state !== 0) ?? containers[0];
  return (
    <section aria-labelledby="service-title">
      <h2 id="service-title">Service {name}</h2>
      {!status ? (
        <p role="status">Loading…</p>
      ) : (
        <>
          <div class="summary" data-service={name}>
            <span>
              Desired <strong data-col="desired">{status.desired}</strong>
            </span>
            <span>
              Running <strong data-col="running">{status.running}</strong>
            </span>
            {status.paused > 0 ? (
              <span>
                Paused <strong>{status.paused}</strong>
              </span>
            ) : null}
            <span>
              Ready <strong data-col="ready">{containers.filter(isReady).length}</strong>
            </span>
            <span>Version {String(status.version)}</span>
            {status.crashLooping ? <strong class="bad">Crash-looping</strong> : null}
            <ScaleControl name={name} desired={status.desired} />
            <ServiceActions status={status} />
          </div>
          <div class="toolbar">
            {status.update ? (
              <span data-col="update">
                Update {updateName(status.update.state)} v{String(status.update.fromVersion)}→v
                {String(status.update.toVersion)}
                {status.update.message ? ` (${status.update.message})` : ""}
              </span>
            ) : null}
            <a href={`#/services/${encodeURIComponent(name)}/logs`}>Merged logs of every container</a>
            <a href={containersHref(name, false)}>Containers of {name} on the Containers page</a>
          </div>
          <DeploymentPanel status={status} />
          <AutoscaleChart status={status} />
          {status.conditions.length > 0 ? (
            <ul class="conditions" aria-label="Why the service is not where it should be">
              {status.conditions.map((c) => (
                <li key={`${c.type}/${c.slot}`} data-condition={c.type}>
                  <strong class="bad">{conditionName(c.type)}</strong>
                  {c.slot > 0 ? ` (slot ${c.slot})` : ""}: {shortLine(c.message, 500)}
                  <span class="muted">
                    {" "}
                    {c.count > 1 ? `${c.count} times, ` : ""}
                    {c.firstSeenTime ? `since ${time(c.firstSeenTime)}` : ""}
                    {c.lastSeenTime ? `, last ${time(c.lastSeenTime)}` : ""}
                  </span>
                </li>
              ))}
            </ul>
          ) : null}
          {status.failures.length > 0 ? (
            <ul class="failures" aria-label="Recent failures">
              {status.failures.map((f) => (
                <li key={f.slot}>
                  Slot {f.slot}: exit {f.exitCode}, {f.reason} ({f.consecutiveFailures} in a row; next try{" "}
                  {time(f.nextAttemptTime)})
                </li>
              ))}
            </ul>
          ) : null}
          <table class="containers">
            <thead>
              <tr>
                <th scope="col">Slot</th>
                <th scope="col">Name</th>
                <th scope="col">State</th>
                <th scope="col">Health</th>
                <th scope="col">Exit code</th>
                <th scope="col">Started</th>
                <th scope="col">Ports</th>
                <th scope="col">Last log line</th>
                <th scope="col">
                  <span class="visually-hidden">Show</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {containers.map((c) => (
                <tr key={c.id} data-container={c.name} aria-selected={c.id === selected?.id}>
                  <td>{c.slot}</td>
                  <td>{c.name}</td>
                  <td>{stateName(c.state)}</td>
                  <td>{healthName(c.health)}</td>
                  <td>{c.exitCode}</td>
                  <td>{time(c.startTime)}</td>
                  <td data-col="ports">
                    <PortLinks ports={c.ports} />
                  </td>
                  <td>
                    <LastLine container={c} />
                  </td>
                  <td>
                    <button type="button" aria-pressed={c.id === selected?.id} onClick={() => setChosen(c.id)}>
                      Logs and stats<span class="visually-hidden"> of {c.name}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {selected ? (
            <div class="panels">
              <LogsPanel id={selected.id} label={selected.name} />
              <StatsPanel id={selected.id} label={selected.name} />
              <ConsolePanel id={selected.id} label={selected.name} />
            </div>
          ) : (
            <p>
              {status.desired > 0
                ? `No containers yet, though ${status.desired} desired${status.conditions.length > 0 ? ": see why above" : ""}.`
                : "No containers: scale the service up to see logs and stats."}
            </p>
          )}
          <DefinitionEditor name={name} />
        </>
      )}
    </section>
  );
}
