import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { useEffect, useRef, useState } from "preact/hooks";
import { scaler } from "./api.js";
import { follow } from "./follow.js";
import { shortLine } from "./format.js";
import { maxLineChars } from "./logs-panel.js";

/** Lines kept: search looks through these; older ones are dropped so a chatty service cannot grow the page. */
export const maxServiceLogLines = 2000;
/** Lines drawn at once: the newest matches (a longer search result says how many are left out). */
const drawn = 1000;

interface Line {
  seq: number;
  slot: number;
  stderr: boolean;
  time: string;
  text: string;
}

function clock(t: Timestamp | undefined): string {
  if (!t) return "";
  const d = new Date(Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6));
  return `${d.toLocaleTimeString(undefined, { hour12: false })}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

/** `text` with every (case-insensitive) occurrence of `needle` marked. */
function Marked({ text, needle }: { text: string; needle: string }) {
  if (!needle) return <>{text}</>;
  const parts: (string | preact.JSX.Element)[] = [];
  const lower = text.toLowerCase();
  let at = 0;
  for (let hit = lower.indexOf(needle); hit >= 0; hit = lower.indexOf(needle, hit + needle.length)) {
    parts.push(text.slice(at, hit), <mark key={hit}>{text.slice(hit, hit + needle.length)}</mark>);
    at = hit + needle.length;
  }
  parts.push(text.slice(at));
  return <>{parts}</>;
}

/** Every container's logs of one service, merged (StreamServiceLogs), with stderr marked, times, and search. */
export function ServiceLogsView({ name }: { name: string }) {
  const [lines, setLines] = useState<readonly Line[]>([]);
  const [search, setSearch] = useState("");
  const [times, setTimes] = useState(true);
  const [onlyStderr, setOnlyStderr] = useState(false);
  const [paused, setPaused] = useState(false);
  const held = useRef<Line[]>([]);
  const pausedRef = useRef(false);
  const flushing = useRef(0);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let seq = 0;
    held.current = [];
    setLines([]);
    // Lines come one a message: they are drawn once a frame, not once each.
    const flush = () => {
      flushing.current = 0;
      if (!pausedRef.current) setLines(held.current);
    };
    const stop = follow(
      (signal) => scaler.streamServiceLogs({ name, follow: true, tail: 200 }, { signal }),
      (m, fresh) => {
        if (fresh) held.current = [];
        const line = {
          seq: seq++,
          slot: m.slot,
          stderr: m.stderr,
          time: clock(m.time),
          text: shortLine(m.line, maxLineChars),
        };
        held.current = [...held.current.slice(1 - maxServiceLogLines), line];
        if (!flushing.current) flushing.current = requestAnimationFrame(flush);
      },
      { procedure: "/dockhand.v1.Scaler/StreamServiceLogs" },
    );
    return () => {
      stop();
      cancelAnimationFrame(flushing.current);
    };
  }, [name]);

  const needle = search.trim().toLowerCase();
  const matching = lines.filter((l) => (!onlyStderr || l.stderr) && (!needle || l.text.toLowerCase().includes(needle)));
  const shown = matching.slice(-drawn);
  useEffect(() => {
    const el = box.current;
    if (el && !paused && !needle) el.scrollTop = el.scrollHeight;
  }, [lines, paused, needle]);

  const toggle = () => {
    pausedRef.current = !paused;
    setPaused(!paused);
    if (paused) setLines(held.current);
  };
  return (
    <section aria-labelledby="service-logs-title">
      <h2 id="service-logs-title">Logs of {name}</h2>
      <div class="toolbar">
        <a href={`#/services/${encodeURIComponent(name)}`}>Back to {name}</a>
        <label for="log-search">Search</label>
        <input id="log-search" type="search" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
        <label>
          <input type="checkbox" checked={times} onChange={(e) => setTimes(e.currentTarget.checked)} /> Timestamps
        </label>
        <label>
          <input type="checkbox" checked={onlyStderr} onChange={(e) => setOnlyStderr(e.currentTarget.checked)} /> Only
          stderr
        </label>
        <button type="button" aria-pressed={paused} onClick={toggle}>
          {paused ? "Resume" : "Pause"}
        </button>
        <span role="status" class="muted" data-count={matching.length}>
          {needle || onlyStderr ? `${matching.length} of ${lines.length} lines match` : `${lines.length} lines`} (the
          last {maxServiceLogLines} kept{matching.length > drawn ? `, the newest ${drawn} shown` : ""})
        </span>
      </div>
      <div ref={box} class="service-logs" tabIndex={0} aria-label={`Merged logs of ${name}`} data-service-logs={name}>
        {shown.map((l) => (
          <div
            key={l.seq}
            class={l.stderr ? "stderr" : undefined}
            data-stream={l.stderr ? "stderr" : "stdout"}
            data-slot={l.slot}
          >
            {times ? <span class="tag">{l.time}</span> : null}
            <span class="tag">slot {l.slot}</span>
            {l.stderr ? <span class="err">stderr</span> : null}
            <Marked text={l.text} needle={needle} />
          </div>
        ))}
      </div>
    </section>
  );
}
