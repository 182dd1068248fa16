/** The address of the Containers view with these filters, so that a filtered list can be linked to. */
export function containersHref(service: string, all: boolean): string {
  const query = new URLSearchParams();
  if (service) query.set("service", service);
  else if (all) query.set("show", "all");
  const text = query.toString();
  return `#/containers${text ? `?${text}` : ""}`;
}

/** Which containers the Containers view lists: dockhand's own (the default) or all, and which service's. */
export function ContainerFilters({
  service,
  all,
  services,
}: {
  service: string;
  all: boolean;
  services: ReadonlySet<string>;
}) {
  const names = [...new Set([...services, ...(service ? [service] : [])])].sort();
  return (
    <div class="filters" role="group" aria-label="Which containers">
      <label for="containers-show">Show</label>
      <select
        id="containers-show"
        value={all && !service ? "all" : "own"}
        disabled={!!service}
        onChange={(e) => (location.hash = containersHref("", e.currentTarget.value === "all"))}
      >
        <option value="own">dockhand's own</option>
        <option value="all">everything on the engine</option>
      </select>
      <label for="containers-service">Service</label>
      <select
        id="containers-service"
        value={service}
        onChange={(e) => (location.hash = containersHref(e.currentTarget.value, all))}
      >
        <option value="">any</option>
        {names.map((name) => (
          <option key={name} value={name}>
            {name}
          </option>
        ))}
      </select>
    </div>
  );
}
