import { useEffect, useState } from "preact/hooks";
import type { Container } from "../gen/dockhand/v1/agent_containers_pb.js";
import type { Service } from "../gen/dockhand/v1/service_pb.js";
import { RestartPolicyMode } from "../gen/dockhand/v1/service_pb.js";
import { agent, registry } from "./api.js";
import { containersHref } from "./container-filters.js";
import { attempt } from "./follow.js";
import { bytes, healthName, stateName, timestampText } from "./format.js";
import { PortLinks } from "./port-links.js";

function KeyValues({ entries, label }: { entries: [string, string][]; label: string }) {
  if (entries.length === 0) return <p class="muted">None.</p>;
  return (
    <dl class="kv" aria-label={label}>
      {entries
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, value]) => (
          <div key={key}>
            <dt>{key}</dt>
            <dd>{value}</dd>
          </div>
        ))}
    </dl>
  );
}

function facts(c: Container): [string, string][] {
  const policy = c.restartPolicy;
  return [
    ["Id", c.id],
    ["Image", `${c.image} (${c.imageId})`],
    ["State", c.status && c.status !== stateName(c.state) ? `${stateName(c.state)}: ${c.status}` : stateName(c.state)],
    ["Health", healthName(c.health)],
    ["Created", timestampText(c.createTime)],
    ["Started", timestampText(c.startTime)],
    ["Finished", timestampText(c.finishTime)],
    ["Exit code", String(c.exitCode)],
    ["Restarts", String(c.restartCount)],
    ["Command", c.command.join(" ") || "—"],
    ["Restart policy", policy ? RestartPolicyMode[policy.mode].toLowerCase().replace("_", "-") : "—"],
    ["Init", c.init ? "yes" : "no"],
    ["Memory limit", c.resources?.memoryBytes ? bytes(c.resources.memoryBytes) : "none"],
    ["CPU limit", c.resources?.cpuMillis ? `${c.resources.cpuMillis / 1000} CPU` : "none"],
    ["Stop grace period", c.stopGracePeriod ? `${c.stopGracePeriod.seconds} s` : "engine default (10 s)"],
    ["Error", c.error || "—"],
  ];
}

/** One container as GetContainer reports it: state, command, ports, mounts, labels, and its environment. */
export function ContainerInspectView({ id }: { id: string }) {
  const [container, setContainer] = useState<Container | undefined>(undefined);
  const [definition, setDefinition] = useState<Service | undefined>(undefined);
  const read = async () => {
    const answer = await attempt("/dockhand.v1.ContainerAgent/GetContainer", () => agent.getContainer({ id }));
    if (!answer?.container) return;
    setContainer(answer.container);
    const service = answer.container.labels["dockhand.service"];
    if (!service) return;
    const defined = await attempt("/dockhand.v1.ServiceRegistry/GetService", () =>
      registry.getService({ name: service }),
    );
    setDefinition(defined?.service);
  };
  useEffect(() => void read(), [id]);

  if (!container) return <p role="status">Loading…</p>;
  const service = container.labels["dockhand.service"];
  const createdFrom = container.labels["dockhand.definition"];
  return (
    <section aria-labelledby="inspect-title" data-inspect={container.name}>
      <h2 id="inspect-title">Container {container.name}</h2>
      <div class="toolbar">
        {service ? <a href={`#/services/${encodeURIComponent(service)}`}>Service {service}</a> : null}
        <a href={containersHref(service ?? "", !service)}>Back to the containers</a>
        <button type="button" onClick={() => void read()}>
          Refresh
        </button>
      </div>
      <dl class="info">
        {facts(container).map(([term, value]) => (
          <div key={term}>
            <dt>{term}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <h3>Ports</h3>
      <PortLinks ports={container.ports} />
      <h3>Environment</h3>
      {!service ? (
        <p class="muted">
          The API reports the environment of dockhand's containers only, from their service's definition.
        </p>
      ) : definition ? (
        <>
          <p class="muted">
            From the definition of {service} (version {String(definition.version)}
            {createdFrom && createdFrom !== String(definition.version)
              ? `; this container runs version ${createdFrom}`
              : ""}
            ), besides what the image sets.
          </p>
          <KeyValues entries={Object.entries(definition.environment)} label="Environment" />
        </>
      ) : (
        <p role="status">Loading…</p>
      )}
      <h3>Mounts</h3>
      {container.mounts.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <table class="mounts">
          <thead>
            <tr>
              <th scope="col">Path in the container</th>
              <th scope="col">Source</th>
              <th scope="col">Mode</th>
            </tr>
          </thead>
          <tbody>
            {container.mounts.map((m) => (
              <tr key={m.containerPath} data-mount={m.containerPath}>
                <td>
                  <code>{m.containerPath}</code>
                </td>
                <td>
                  {m.source.case === "volume"
                    ? `volume ${m.source.value}`
                    : m.source.case === "hostPath"
                      ? `host ${m.source.value}`
                      : "—"}
                </td>
                <td>{m.readOnly ? "read-only" : "read-write"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Labels</h3>
      <KeyValues entries={Object.entries(container.labels)} label="Labels" />
    </section>
  );
}
