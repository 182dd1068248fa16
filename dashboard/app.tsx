import type { ComponentChildren } from "preact";
import { useEffect, useErrorBoundary, useState } from "preact/hooks";
import { currentToken, protocol, setToken } from "./api.js";
import { ConfigsView } from "./configs-view.js";
import { ContainerInspectView } from "./container-inspect-view.js";
import { ContainersView } from "./containers-view.js";
import { CreateServiceView } from "./create-service-view.js";
import { EngineView } from "./engine-view.js";
import { connectionLost, deniedProcedures, dismiss, shownErrors, signInNeeded } from "./errors.js";
import { EventsView } from "./events-view.js";
import { ImagesView } from "./images-view.js";
import { NetworksView } from "./networks-view.js";
import { SecretsView } from "./secrets-view.js";
import { ServiceLogsView } from "./service-logs-view.js";
import { ServiceView } from "./service-view.js";
import { ServicesView } from "./services-view.js";
import { loadRights, rights, roleName } from "./rights.js";
import { SignIn } from "./sign-in.js";
import { useStore } from "./store.js";
import { VolumesView } from "./volumes-view.js";

const views = [
  ["services", "Services"],
  ["containers", "Containers"],
  ["images", "Images"],
  ["volumes", "Volumes"],
  ["networks", "Networks"],
  ["secrets", "Secrets"],
  ["configs", "Configs"],
  ["events", "Events"],
  ["engine", "Engine"],
] as const;

/** Where the page is: `#/containers?service=web` is parts ["containers"] and the query service=web. */
interface Place {
  parts: string[];
  query: URLSearchParams;
}

function useHash(): Place {
  const read = (): Place => {
    const [path = "", query = ""] = location.hash.replace(/^#\/?/, "").split("?", 2);
    return { parts: path.split("/").map(decodeURIComponent), query: new URLSearchParams(query) };
  };
  const [place, setPlace] = useState(read);
  useEffect(() => {
    const changed = () => setPlace(read());
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return place;
}

/** The nav entry a view belongs to. */
const navOf: Record<string, string> = { container: "containers", "create-service": "services" };

function View({ parts, query }: Place) {
  const [view, name, sub] = parts;
  if (view === "services" && name && sub === "logs") return <ServiceLogsView name={name} />;
  if (view === "services" && name) return <ServiceView name={name} />;
  if (view === "create-service") return <CreateServiceView />;
  if (view === "containers")
    return <ContainersView service={query.get("service") ?? ""} all={query.get("show") === "all"} />;
  if (view === "container" && name) return <ContainerInspectView id={name} />;
  if (view === "images") return <ImagesView />;
  if (view === "volumes") return <VolumesView />;
  if (view === "networks") return <NetworksView />;
  if (view === "secrets") return <SecretsView />;
  if (view === "configs") return <ConfigsView />;
  if (view === "events") return <EventsView />;
  if (view === "engine") return <EngineView />;
  return <ServicesView />;
}

/** A view that throws while rendering shows what broke and a way back, never a blank page. */
function Boundary({ children }: { children: ComponentChildren }) {
  const [error, reset] = useErrorBoundary();
  if (!error) return <>{children}</>;
  return (
    <section role="alert">
      <h2>This view failed</h2>
      <p>{error instanceof Error ? error.message : String(error)}</p>
      <button type="button" onClick={reset}>
        Try again
      </button>
    </section>
  );
}

function Errors() {
  const errors = useStore(shownErrors);
  if (errors.length === 0) return null;
  return (
    <ul class="errors" aria-label="Errors">
      {errors.map((e) => (
        <li key={e.id} role="alert" data-code={e.code}>
          <span>
            <strong>{e.code}</strong>: {e.message}
          </span>
          <button type="button" aria-label="Dismiss this error" onClick={() => dismiss(e.id)}>
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}

export function App() {
  const place = useHash();
  const parts = place.parts;
  const current = navOf[parts[0] ?? ""] ?? (parts[0] || "services");
  const needSignIn = useStore(signInNeeded);
  const lost = useStore(connectionLost);
  const me = useStore(rights);
  const signedIn = currentToken() !== "";
  useEffect(() => {
    if (!needSignIn) void loadRights();
  }, [needSignIn]);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <h1>dockhand</h1>
        <nav aria-label="Views">
          {views.map(([key, label]) => (
            <a key={key} href={`#/${key}`} aria-current={current === key ? "page" : undefined}>
              {label}
            </a>
          ))}
        </nav>
        <span class="muted">over {protocol === "connect" ? "Connect" : "gRPC-web"}</span>
        {me && me.name !== "anonymous" ? (
          <span class="muted" data-caller={me.name}>
            {me.name} ({roleName(me.role)})
          </span>
        ) : null}
        {signedIn ? (
          <button
            type="button"
            onClick={() => {
              setToken("");
              rights.set(undefined);
              deniedProcedures.set(new Map());
              signInNeeded.set(true);
            }}
          >
            Sign out
          </button>
        ) : null}
      </header>
      {lost ? (
        <p class="banner" role="status">
          The connection to dockhand was lost; reconnecting…{" "}
          <span class="muted">
            ({lost.code}: {lost.message})
          </span>
        </p>
      ) : null}
      <Errors />
      {needSignIn ? (
        <SignIn />
      ) : (
        <main id="main">
          <Boundary key={parts.join("/")}>
            <View {...place} />
          </Boundary>
        </main>
      )}
    </>
  );
}
