import { useEffect, useState } from "preact/hooks";
import { EventAction, EventType, type Event } from "../gen/dockhand/v1/agent_streams_pb.js";
import { agent } from "./api.js";
import { follow } from "./follow.js";
import { time } from "./format.js";

const kept = 300;
let received = 0;

/** An event with a number of its own, so that a row keeps its key as newer rows arrive above it. */
interface Numbered {
  seq: number;
  event: Event;
}

interface Filters {
  type: EventType;
  service: string;
  action: EventAction;
  /** Show exec_* events: health checks run as execs, one every interval per container, and flood the feed. */
  exec: boolean;
}

/** The actions one can filter on, by the name the page shows. */
const actions = Object.entries(EventAction)
  .filter(
    (entry): entry is [string, EventAction] => typeof entry[1] === "number" && entry[1] !== EventAction.UNSPECIFIED,
  )
  .map(([name, value]) => ({ value, name: name.toLowerCase() }))
  .sort((a, b) => a.name.localeCompare(b.name));

function actionName(e: Event): string {
  return e.action === EventAction.UNSPECIFIED ? e.rawAction : EventAction[e.action].toLowerCase();
}

/** A live feed of the engine's events (WatchEvents), newest first, with filters; exec events hidden unless asked. */
export function EventsView() {
  const [filters, setFilters] = useState<Filters>({
    type: EventType.UNSPECIFIED,
    service: "",
    action: EventAction.UNSPECIFIED,
    exec: false,
  });
  const [draft, setDraft] = useState<Filters>(filters);
  const [events, setEvents] = useState<readonly Numbered[]>([]);
  const [hidden, setHidden] = useState(0);
  const [note, setNote] = useState("Connecting…");
  useEffect(() => {
    setEvents([]);
    setHidden(0);
    const request = {
      types: filters.type === EventType.UNSPECIFIED ? [] : [filters.type],
      services: filters.service ? [filters.service] : [],
      actions: filters.action === EventAction.UNSPECIFIED ? [] : [filters.action],
    };
    return follow(
      (signal) => agent.watchEvents(request, { signal }),
      (message) => {
        const item = message.item;
        if (item.case === "connected") setNote("Watching.");
        else if (item.case === "resynced") setNote(`Resynced after a gap: ${item.value.reason}`);
        else if (item.case === "event" && !filters.exec && item.value.rawAction.startsWith("exec_")) {
          setHidden((n) => n + 1);
        } else if (item.case === "event") {
          const numbered = { seq: received++, event: item.value };
          setEvents((before) => [numbered, ...before].slice(0, kept));
        }
      },
      { procedure: "/dockhand.v1.ContainerAgent/WatchEvents" },
    );
  }, [filters]);
  return (
    <section aria-labelledby="events-title">
      <h2 id="events-title">Events</h2>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters(draft);
        }}
      >
        <label for="event-type">Type</label>
        <select
          id="event-type"
          value={draft.type}
          onChange={(e) => setDraft({ ...draft, type: Number(e.currentTarget.value) as EventType })}
        >
          <option value={EventType.UNSPECIFIED}>all</option>
          <option value={EventType.CONTAINER}>container</option>
          <option value={EventType.IMAGE}>image</option>
        </select>
        <label for="event-action">Action</label>
        <select
          id="event-action"
          value={draft.action}
          onChange={(e) => setDraft({ ...draft, action: Number(e.currentTarget.value) as EventAction })}
        >
          <option value={EventAction.UNSPECIFIED}>all</option>
          {actions.map((a) => (
            <option key={a.value} value={a.value}>
              {a.name}
            </option>
          ))}
        </select>
        <label>
          <input
            type="checkbox"
            checked={draft.exec}
            onChange={(e) => setDraft({ ...draft, exec: e.currentTarget.checked })}
          />{" "}
          Show exec events (health checks)
        </label>
        <label for="event-service">Service</label>
        <input
          id="event-service"
          value={draft.service}
          placeholder="any"
          onInput={(e) => setDraft({ ...draft, service: e.currentTarget.value.trim() })}
        />
        <button type="submit">Apply filters</button>
        <span role="status" class="muted">
          {note}
        </span>
        {hidden > 0 ? (
          <span class="muted" data-hidden-exec={hidden}>
            {hidden} exec events hidden
          </span>
        ) : null}
      </form>
      <table class="events">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Type</th>
            <th scope="col">Action</th>
            <th scope="col">Name</th>
            <th scope="col">Service</th>
            <th scope="col">Exit code</th>
          </tr>
        </thead>
        <tbody>
          {events.map(({ seq, event: e }) => (
            <tr key={seq}>
              <td>{time(e.time)}</td>
              <td>{EventType[e.type].toLowerCase()}</td>
              <td data-col="action">{actionName(e)}</td>
              <td>{e.name || e.id.slice(0, 12)}</td>
              <td>{e.service || "—"}</td>
              <td>{e.exitCode ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
