import type { ComponentChildren } from "preact";
import { useEffect, useErrorBoundary, useState } from "preact/hooks";
import { currentToken, protocol, setToken } from "./api.js";
import { ContainersView } from "./containers-view.js";
import { EngineView } from "./engine-view.js";
import { connectionLost, deniedProcedures, dismiss, shownErrors, signInNeeded } from "./errors.js";
import { EventsView } from "./events-view.js";
import { ImagesView } from "./images-view.js";
import { ServiceView } from "./service-view.js";
import { ServicesView } from "./services-view.js";
import { loadRights, rights, roleName } from "./rights.js";
import { SignIn } from "./sign-in.js";
import { useStore } from "./store.js";

const views = [
  ["services", "Services"],
  ["containers", "Containers"],
  ["images", "Images"],
  ["events", "Events"],
  ["engine", "Engine"],
] as const;

function useHash(): string[] {
  const read = () => location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  const [parts, setParts] = useState(read);
  useEffect(() => {
    const changed = () => setParts(read());
    addEventListener("hashchange", changed);
    return () => removeEventListener("hashchange", changed);
  }, []);
  return parts;
}

function View({ parts }: { parts: string[] }) {
  const [view, name] = parts;
  if (view === "services" && name) return <ServiceView name={name} />;
  if (view === "containers") return <ContainersView />;
  if (view === "images") return <ImagesView />;
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
  const parts = useHash();
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
            <a key={key} href={`#/${key}`} aria-current={(parts[0] || "services") === key ? "page" : undefined}>
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
            <View parts={parts} />
          </Boundary>
        </main>
      )}
    </>
  );
}
