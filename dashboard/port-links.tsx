import type { PublishedPort } from "../gen/dockhand/v1/scaler_pb.js";
import { Protocol } from "../gen/dockhand/v1/service_pb.js";

/** Where a browser reaches a published port: its own host name when the port is bound to every address. */
export function endpointHost(hostIp: string): string {
  if (hostIp === "" || hostIp === "0.0.0.0" || hostIp === "::") return location.hostname;
  return hostIp.includes(":") ? `[${hostIp}]` : hostIp;
}

function protocolName(protocol: Protocol): string {
  return protocol === Protocol.UNSPECIFIED ? "tcp" : Protocol[protocol].toLowerCase();
}

/**
 * The ports a container publishes, each TCP one a link to its endpoint (opened in a new tab);
 * the engine lists a port once per address family, so a port bound twice shows once.
 */
export function PortLinks({ ports }: { ports: readonly PublishedPort[] }) {
  const seen = new Set<string>();
  const shown = ports.filter((p) => {
    const key = `${endpointHost(p.hostIp)}:${p.hostPort}/${p.protocol}`;
    if (p.hostPort === 0 || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  if (shown.length === 0) return <span class="muted">—</span>;
  return (
    <ul class="ports">
      {shown.map((p) => {
        const address = `${endpointHost(p.hostIp)}:${p.hostPort}`;
        const text = `${address} → ${p.containerPort}/${protocolName(p.protocol)}`;
        const tcp = p.protocol === Protocol.UNSPECIFIED || p.protocol === Protocol.TCP;
        return (
          <li key={`${address}/${p.protocol}`}>
            {tcp ? (
              <a href={`http://${address}/`} target="_blank" rel="noopener noreferrer" data-port={p.containerPort}>
                {text}
              </a>
            ) : (
              text
            )}
          </li>
        );
      })}
    </ul>
  );
}
