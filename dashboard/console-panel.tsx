import "@xterm/xterm/css/xterm.css";
import { useEffect, useRef, useState } from "preact/hooks";
import { session } from "./api.js";
import { CommandLineError, commandWords } from "./console-command.js";
import { openConsoleSocket } from "./console-socket.js";
import { FileTransfer } from "./file-transfer.js";

/**
 * Whether the user may open a console: WhoAmI's `exec` (admin, or an operator granted it).
 * Unknown (an older server, or not answered yet) counts as allowed; the server decides anyway.
 */
function useExecRight(): string | undefined {
  const [denied, setDenied] = useState<string | undefined>(undefined);
  useEffect(() => {
    let live = true;
    session.whoAmI({}).then(
      (me) => {
        if (live && !me.exec)
          setDenied(`${me.name} has no exec right: it needs the admin role, or exec: true on an operator's token`);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  return denied;
}

/**
 * A terminal into a container: the command (a shell by default, written as a shell command
 * line) runs with a tty over dockhand's WebSocket; the exit code shows when it ends. Below it,
 * files go in and out.
 */
export function ConsolePanel({ id, label }: { id: string; label: string }) {
  const [command, setCommand] = useState("sh");
  const [state, setState] = useState<"idle" | "connecting" | "running">("idle");
  const [outcome, setOutcome] = useState("");
  const host = useRef<HTMLDivElement>(null);
  const stop = useRef<(() => void) | undefined>(undefined);
  const denied = useExecRight();
  const end = () => {
    stop.current?.();
    stop.current = undefined;
  };
  // Another container, or leaving the page, ends the session.
  useEffect(() => {
    setOutcome("");
    setState("idle");
    return end;
  }, [id]);

  const start = async (e: Event) => {
    e.preventDefault();
    let argv: string[];
    try {
      argv = commandWords(command);
    } catch (err) {
      setOutcome((err as CommandLineError).message);
      return;
    }
    if (argv.length === 0) return setOutcome("type a command to run, for example sh");
    end();
    setOutcome("");
    setState("connecting");
    const { startConsole } = await import("./console-terminal.js");
    if (!host.current) return;
    host.current.replaceChildren();
    stop.current = startConsole({
      host: host.current,
      id,
      command: argv,
      openSocket: openConsoleSocket,
      started: () => setState("running"),
      ended: (how) => {
        setOutcome(how);
        setState("idle");
      },
    });
  };

  return (
    <section class="console" aria-label={`Console of ${label}`}>
      <h3>Console of {label}</h3>
      <form onSubmit={(e) => void start(e)}>
        <label for="console-command">Command</label>
        <input id="console-command" value={command} onInput={(e) => setCommand(e.currentTarget.value)} />
        <button type="submit" disabled={state !== "idle" || !!denied} title={denied}>
          {state === "connecting" ? "Connecting…" : "Open terminal"}
        </button>
        <button type="button" disabled={state === "idle"} onClick={end}>
          Close
        </button>
      </form>
      <div
        ref={host}
        class="console-terminal"
        data-state={state}
        style={{ height: "24em", minHeight: "10em", resize: "vertical", overflow: "hidden", background: "#000" }}
      />
      <p role="status" data-console-outcome>
        {outcome || (denied ?? "")}
      </p>
      <FileTransfer id={id} label={label} />
    </section>
  );
}
