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
}

/** A live feed of the engine's events (WatchEvents), newest first, with filters. */
export function EventsView() {
  const [filters, setFilters] = useState<Filters>({ type: EventType.UNSPECIFIED, service: "" });
  const [draft, setDraft] = useState<Filters>(filters);
  const [events, setEvents] = useState<readonly Numbered[]>([]);
  const [note, setNote] = useState("Connecting…");
  useEffect(() => {
    setEvents([]);
    const request = {
      types: filters.type === EventType.UNSPECIFIED ? [] : [filters.type],
      services: filters.service ? [filters.service] : [],
    };
    return follow(
      (signal) => agent.watchEvents(request, { signal }),
      (message) => {
        const item = message.item;
        if (item.case === "connected") setNote("Watching.");
        else if (item.case === "resynced") setNote(`Resynced after a gap: ${item.value.reason}`);
        else if (item.case === "event") {
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
              <td>{e.action === EventAction.UNSPECIFIED ? e.rawAction : EventAction[e.action].toLowerCase()}</td>
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
