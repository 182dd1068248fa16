/** Labels as `key=value` lines, dockhand's own (`dockhand.*`) left out unless `all`. */
export function LabelsCell({ labels, all = false }: { labels: Readonly<Record<string, string>>; all?: boolean }) {
  const shown = Object.entries(labels)
    .filter(([key]) => all || !key.startsWith("dockhand."))
    .sort(([a], [b]) => a.localeCompare(b));
  if (shown.length === 0) return <span class="muted">—</span>;
  return (
    <ul class="ports">
      {shown.map(([key, value]) => (
        <li key={key}>
          <code>
            {key}={value}
          </code>
        </li>
      ))}
    </ul>
  );
}
