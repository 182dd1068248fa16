import { useEffect, useState } from "preact/hooks";
import type { EngineInfo } from "../gen/dockhand/v1/agent_images_pb.js";
import { HealthCheckResponse_ServingStatus as ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import { agent, health, protocol } from "./api.js";
import { attempt, follow } from "./follow.js";
import { bytes } from "./format.js";

/** The engine (GetInfo) and dockhand's own health, live from the health service's Watch. */
export function EngineView() {
  const [info, setInfo] = useState<EngineInfo | undefined>(undefined);
  const [serving, setServing] = useState<string>("…");
  const read = async () => {
    const answer = await attempt("/dockhand.v1.ContainerAgent/GetInfo", () => agent.getInfo({}));
    if (answer?.info) setInfo(answer.info);
  };
  useEffect(() => void read(), []);
  useEffect(
    () =>
      follow(
        (signal) => health.watch({ service: "" }, { signal }),
        (m) => {
          setServing(ServingStatus[m.status].toLowerCase().replace("_", " "));
          void read();
        },
        { procedure: "/grpc.health.v1.Health/Watch" },
      ),
    [],
  );
  const rows: [string, string][] = info
    ? [
        ["Name", info.name],
        ["Engine version", info.engineVersion],
        ["API version", info.apiVersion],
        ["Operating system", `${info.operatingSystem} (${info.os}/${info.architecture})`],
        ["Kernel", info.kernelVersion],
        ["CPUs", String(info.cpus)],
        ["Memory", bytes(info.memoryBytes)],
        [
          "Containers",
          `${info.containers} (${info.containersRunning} running, ${info.containersPaused} paused, ${info.containersStopped} stopped)`,
        ],
        ["Images", String(info.images)],
        ["Storage driver", info.storageDriver],
      ]
    : [];
  return (
    <section aria-labelledby="engine-title">
      <h2 id="engine-title">Engine</h2>
      <p>
        dockhand is <strong data-health={serving}>{serving}</strong> (its health service, live); this page speaks{" "}
        {protocol === "connect" ? "Connect" : "gRPC-web"}.
      </p>
      <button type="button" onClick={() => void read()}>
        Refresh
      </button>
      {info ? (
        <dl class="info">
          {rows.map(([term, value]) => (
            <div key={term}>
              <dt>{term}</dt>
              <dd>{value}</dd>
            </div>
          ))}
        </dl>
      ) : (
        <p role="status">Loading…</p>
      )}
    </section>
  );
}
