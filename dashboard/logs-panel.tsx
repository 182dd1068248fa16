import { useEffect, useRef, useState } from "preact/hooks";
import { agent } from "./api.js";
import { follow } from "./follow.js";
import { shortLine } from "./format.js";

/** Lines kept on the page; older ones are dropped so a chatty container cannot grow the page. */
export const maxLogLines = 500;
/** Characters kept of each line (dockhand hands on at most 64 KiB of one): 500 lines stay under 1 MB of text. */
export const maxLineChars = 2000;

/** A container's output, live (StreamLogs follow), with a pause button and a bounded buffer. */
export function LogsPanel({ id, label }: { id: string; label: string }) {
  const [lines, setLines] = useState<readonly string[]>([]);
  const [paused, setPaused] = useState(false);
  const pausedRef = useRef(false);
  const held = useRef<string[]>([]);
  const box = useRef<HTMLPreElement>(null);

  useEffect(() => {
    setLines([]);
    held.current = [];
    return follow(
      (signal) => agent.streamLogs({ id, follow: true, tail: 100 }, { signal }),
      (message, fresh) => {
        const incoming = message.runs.flatMap((run) => run.lines.map((line) => shortLine(line, maxLineChars)));
        if (fresh) held.current = [];
        held.current = [...held.current, ...incoming].slice(-maxLogLines);
        if (!pausedRef.current) setLines(held.current);
      },
      { procedure: "/dockhand.v1.ContainerAgent/StreamLogs" },
    );
  }, [id]);

  useEffect(() => {
    const el = box.current;
    if (el && !paused) el.scrollTop = el.scrollHeight;
  }, [lines, paused]);

  const toggle = () => {
    pausedRef.current = !paused;
    setPaused(!paused);
    if (paused) setLines(held.current);
  };
  return (
    <section class="logs" aria-label={`Logs of ${label}`}>
      <div class="toolbar">
        <h3>Logs of {label}</h3>
        <button type="button" aria-pressed={paused} onClick={toggle}>
          {paused ? "Resume" : "Pause"}
        </button>
        <span class="muted">last {maxLogLines} lines</span>
      </div>
      <pre ref={box} class="log-lines" tabIndex={0} aria-live="off" data-log={id}>
        {lines.join("\n")}
      </pre>
    </section>
  );
}
