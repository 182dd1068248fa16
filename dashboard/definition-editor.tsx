import { useEffect, useState } from "preact/hooks";
import type { Service } from "../gen/dockhand/v1/service_pb.js";
import { registry } from "./api.js";
import { describe, report } from "./errors.js";
import { fieldOf } from "./field-paths.js";
import { useDenied } from "./rights.js";
import { fromYaml, lineOf, toYaml } from "./yaml-definition.js";

const procedure = "/dockhand.v1.ServiceRegistry/UpdateService";

interface Problem {
  field?: string;
  message: string;
}

/** The definition as YAML, editable and sent as UpdateService; the server's complaint shows at its field. */
export function DefinitionEditor({ name }: { name: string }) {
  const [text, setText] = useState<string | undefined>(undefined);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [saved, setSaved] = useState("");
  const denied = useDenied(procedure);

  const load = async () => {
    try {
      const { service } = await registry.getService({ name });
      if (service) setText(toYaml(service));
    } catch (err) {
      report(err, "/dockhand.v1.ServiceRegistry/GetService");
    }
  };
  useEffect(() => void load(), [name]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setSaved("");
    let service: Service;
    try {
      service = fromYaml(text ?? "");
    } catch (err) {
      setProblem({ message: (err as Error).message });
      return;
    }
    try {
      const answer = await registry.updateService({ service });
      setProblem(undefined);
      setSaved(`Saved as version ${answer.service?.version ?? "?"}.`);
      if (answer.service) setText(toYaml(answer.service));
    } catch (err) {
      const field = fieldOf(err);
      if (field === undefined) report(err, procedure);
      const { code, message } = describe(err);
      setProblem({ field, message: `${code}: ${message}` });
    }
  };

  if (text === undefined) return <p role="status">Loading the definition…</p>;
  const line = problem?.field ? lineOf(text, problem.field) : undefined;
  return (
    <form class="definition" onSubmit={(e) => void submit(e)} aria-labelledby="definition-title">
      <h3 id="definition-title">Definition</h3>
      <label for="definition-yaml">Definition of {name} as YAML (fields as in the proto)</label>
      <div class="field">
        <textarea
          id="definition-yaml"
          rows={Math.min(30, text.split("\n").length + 2)}
          spellcheck={false}
          value={text}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? "definition-problem" : undefined}
          onInput={(e) => setText(e.currentTarget.value)}
        />
        {problem ? (
          <p id="definition-problem" class="field-error" role="alert" data-field={problem.field ?? ""}>
            {problem.field ? <strong>{`${problem.field}${line ? ` (line ${line})` : ""}: `}</strong> : null}
            {problem.message}
          </p>
        ) : null}
      </div>
      <div class="toolbar">
        <button type="submit" disabled={!!denied} title={denied}>
          Update service
        </button>
        <button type="button" onClick={() => void load()}>
          Reload
        </button>
        <span role="status">{saved}</span>
      </div>
    </form>
  );
}
