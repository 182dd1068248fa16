import { useState } from "preact/hooks";
import { agent } from "./api.js";
import { describe, report } from "./errors.js";
import { useDenied } from "./rights.js";

const procedure = "/dockhand.v1.ContainerAgent/Exec";
const decoder = new TextDecoder();

/** Runs one command in a container (Exec) and shows its output as it arrives. */
export function ExecBox({ id, label }: { id: string; label: string }) {
  const [command, setCommand] = useState("");
  const [output, setOutput] = useState("");
  const [running, setRunning] = useState(false);
  const denied = useDenied(procedure);
  const run = async (e: Event) => {
    e.preventDefault();
    const words = command.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) return;
    setRunning(true);
    setOutput("");
    let text = "";
    try {
      for await (const message of agent.exec({ id, command: words })) {
        if (message.item.case === "output") text += decoder.decode(message.item.value.data, { stream: true });
        if (message.item.case === "result") text += `\n[exit code ${message.item.value.exitCode}]`;
        setOutput(text);
      }
    } catch (err) {
      report(err, procedure);
      const { code, message } = describe(err);
      setOutput(`${text}\n[${code}: ${message}]`);
    } finally {
      setRunning(false);
    }
  };
  return (
    <form class="exec" onSubmit={(e) => void run(e)} aria-label={`Run a command in ${label}`}>
      <h3>Run a command in {label}</h3>
      <label for="exec-command">Command</label>
      <input
        id="exec-command"
        value={command}
        placeholder="ls -l /"
        onInput={(e) => setCommand(e.currentTarget.value)}
      />
      <button type="submit" disabled={running || !!denied} title={denied}>
        Run
      </button>
      <pre class="log-lines" aria-live="polite">
        {output}
      </pre>
    </form>
  );
}
