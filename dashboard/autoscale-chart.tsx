import { useRef } from "preact/hooks";
import type { ServiceStatus } from "../gen/dockhand/v1/scaler_pb.js";
import { AutoscaleMetric } from "../gen/dockhand/v1/service_pb.js";
import { time } from "./format.js";

/** Decisions kept per page: the chart shows those seen since the page opened. */
const kept = 60;
const width = 320;
const height = 90;

interface Point {
  at: number;
  from: number;
  replicas: number;
  value: number;
  target: number;
}

const metricNames: Record<number, string> = {
  [AutoscaleMetric.CPU_PERCENT]: "CPU %",
  [AutoscaleMetric.MEMORY_PERCENT]: "memory %",
  [AutoscaleMetric.PROMETHEUS_QUERY]: "query",
};

function polyline(points: Array<[number, number]>): string {
  return points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(" ");
}

/**
 * The autoscaler's decisions seen on this page as a small chart: replicas over time (steps)
 * against the measured value and its target (dashed), with the latest decision in words.
 */
export function AutoscaleChart({ status }: { status: ServiceStatus }) {
  const history = useRef<{ name: string; points: Point[] }>({ name: status.name, points: [] });
  if (history.current.name !== status.name) history.current = { name: status.name, points: [] };
  const decision = status.lastAutoscaleDecision;
  if (!decision) return null;
  const at = decision.time ? Number(decision.time.seconds) * 1000 + Math.floor(decision.time.nanos / 1e6) : 0;
  const points = history.current.points;
  if (points.at(-1)?.at !== at) {
    points.push({
      at,
      from: decision.fromReplicas,
      replicas: decision.toReplicas,
      value: decision.value,
      target: decision.target,
    });
    if (points.length > kept) points.shift();
  }
  const first = points[0]!.at;
  const span = Math.max(1, points.at(-1)!.at - first);
  const x = (t: number) => 4 + ((t - first) / span) * (width - 8);
  const topReplicas = Math.max(1, ...points.map((p) => Math.max(p.replicas, p.from)));
  const topValue = Math.max(1e-9, ...points.map((p) => Math.max(p.value, p.target))) * 1.15;
  const yReplicas = (n: number) => height - 4 - (n / topReplicas) * (height - 8);
  const yValue = (v: number) => height - 4 - (v / topValue) * (height - 8);
  const steps: Array<[number, number]> = [];
  for (const p of points) steps.push([x(p.at), yReplicas(p.from)], [x(p.at), yReplicas(p.replicas)]);
  steps.push([width - 4, yReplicas(points.at(-1)!.replicas)]);
  const metric = metricNames[decision.metric] ?? "metric";
  return (
    <section class="autoscale" aria-label={`Autoscaling of ${status.name}`}>
      <svg
        width={width}
        height={height}
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`Replicas over time, from ${points[0]!.from} to ${decision.toReplicas}, against ${metric}`}
      >
        <line
          class="autoscale-target"
          x1="4"
          x2={width - 4}
          y1={yValue(decision.target)}
          y2={yValue(decision.target)}
        />
        <polyline class="autoscale-value" points={polyline(points.map((p) => [x(p.at), yValue(p.value)]))} />
        <polyline class="autoscale-replicas" points={polyline(steps)} />
        {points.map((p) => (
          <circle class="autoscale-value" cx={x(p.at)} cy={yValue(p.value)} r="2" />
        ))}
      </svg>
      <p>
        <span class="autoscale-key-replicas">Replicas</span> (up to {topReplicas}) against{" "}
        <span class="autoscale-key-value">{metric}</span> and its target {decision.target} (dashed).{" "}
        <span data-col="autoscale-decision">
          {time(decision.time)}: {decision.fromReplicas} → {decision.toReplicas}, {decision.why}
        </span>
      </p>
    </section>
  );
}
