import { useEffect, useState } from "preact/hooks";
import { agent } from "./api.js";
import { follow } from "./follow.js";
import { bytes } from "./format.js";

const samples = 60;

interface Sample {
  cpu: number;
  memory: number;
}

/** A small line chart of the last samples, scaled to its largest value. */
function Sparkline({ values, label, max }: { values: number[]; label: string; max: number }) {
  const top = Math.max(max, ...values, 1e-9);
  // The newest sample at the right edge, each older one a step to the left.
  const points = values
    .map((v, i) => `${200 - ((values.length - 1 - i) * 200) / (samples - 1)},${40 - (v / top) * 38}`)
    .join(" ");
  return (
    <svg class="sparkline" viewBox="0 0 200 40" role="img" aria-label={label}>
      <polyline points={points} fill="none" stroke="currentColor" stroke-width="1.5" />
      {values.length > 0 ? (
        <circle cx={200} cy={40 - (values[values.length - 1] / top) * 38} r={2.5} fill="currentColor" />
      ) : null}
    </svg>
  );
}

/** Live CPU and memory of one container (StreamStats), drawn as two small charts. */
export function StatsPanel({ id, label }: { id: string; label: string }) {
  const [history, setHistory] = useState<readonly Sample[]>([]);
  const [limit, setLimit] = useState(0);
  useEffect(() => {
    setHistory([]);
    return follow(
      (signal) => agent.streamStats({ id }, { signal }),
      ({ stats }, fresh) => {
        if (!stats) return;
        setLimit(Number(stats.memoryLimitBytes));
        setHistory((before) =>
          [...(fresh ? [] : before), { cpu: stats.cpuPercent, memory: Number(stats.memoryUsageBytes) }].slice(-samples),
        );
      },
      { procedure: "/dockhand.v1.ContainerAgent/StreamStats" },
    );
  }, [id]);
  const last = history.at(-1);
  return (
    <section class="stats" aria-label={`CPU and memory of ${label}`}>
      <h3>CPU and memory of {label}</h3>
      <div class="charts">
        <figure>
          <Sparkline values={history.map((s) => s.cpu)} max={1} label={`CPU of ${label}`} />
          <figcaption>CPU {last ? `${last.cpu.toFixed(1)} %` : "…"}</figcaption>
        </figure>
        <figure>
          <Sparkline values={history.map((s) => s.memory)} max={0} label={`Memory of ${label}`} />
          <figcaption>
            Memory {last ? bytes(last.memory) : "…"}
            {limit ? ` of ${bytes(limit)}` : ""}
          </figcaption>
        </figure>
      </div>
    </section>
  );
}
