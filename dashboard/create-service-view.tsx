import { Code, ConnectError } from "@connectrpc/connect";
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import type { Service } from "../gen/dockhand/v1/service_pb.js";
import { registry, scaler } from "./api.js";
import { describe, report } from "./errors.js";
import { fieldOf, topField } from "./field-paths.js";
import { attempt } from "./follow.js";
import { useDenied } from "./rights.js";
import {
  emptyForm,
  formFieldOf,
  FormProblem,
  replicasFromForm,
  serviceFromForm,
  type FormField,
  type ServiceForm,
} from "./service-form.js";
import { fromYaml, lineOf, toYaml } from "./yaml-definition.js";

const procedure = "/dockhand.v1.ServiceRegistry/CreateService";
const yamlTemplate = `name: web
image: dockhand-test/busybox:1
command: [sh, -c, "echo hello; sleep 3600"]
init: true
# Not part of the definition: the count to scale to once it is created.
replicas: 1
`;

interface Problem {
  /** Where the page shows it: a form field, the YAML text, or above the buttons. */
  at: FormField | "yaml" | "form";
  /** The request field the server named, when it named one. */
  path?: string;
  message: string;
}

/** Where a failed create shows: at the field the server named when the page has it. */
function problemOf(err: unknown, mode: "form" | "yaml"): Problem {
  const path = fieldOf(err) ?? (ConnectError.from(err).code === Code.AlreadyExists ? "service.name" : undefined);
  const { code, message } = describe(err);
  const field = path ? formFieldOf(topField(path)) : undefined;
  const at = mode === "yaml" ? "yaml" : (field ?? "form");
  return { at, ...(path ? { path } : {}), message: `${code}: ${message}` };
}

function FieldProblem({ problem, id }: { problem: Problem; id: string }) {
  return (
    <p id={id} class="field-error" role="alert" data-field={problem.path ?? ""}>
      {problem.message}
    </p>
  );
}

/** A new service from a form or from YAML, sent as CreateService, then scaled; the server's complaint shows at its field. */
export function CreateServiceView() {
  const [mode, setMode] = useState<"form" | "yaml">("form");
  const [form, setForm] = useState<ServiceForm>(emptyForm);
  const [yaml, setYaml] = useState(yamlTemplate);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const denied = useDenied(procedure);

  const toYamlMode = () => {
    try {
      const service = serviceFromForm(form);
      if (service.name || service.image) setYaml(`${toYaml(service)}replicas: ${replicasFromForm(form)}\n`);
    } catch {
      // A form that does not parse yet leaves the YAML as it was.
    }
    setProblem(undefined);
    setMode("yaml");
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    let service: Service;
    let replicas: number;
    try {
      if (mode === "form") {
        service = serviceFromForm(form);
        replicas = replicasFromForm(form);
      } else {
        service = fromYaml(yaml);
        replicas = service.replicas;
      }
    } catch (err) {
      const at = err instanceof FormProblem ? err.field : mode === "yaml" ? "yaml" : "form";
      setProblem({ at, message: (err as Error).message });
      return;
    }
    setBusy(true);
    try {
      await registry.createService({ service });
    } catch (err) {
      if (fieldOf(err) === undefined && ConnectError.from(err).code !== Code.AlreadyExists) report(err, procedure);
      setProblem(problemOf(err, mode));
      setBusy(false);
      return;
    }
    if (replicas > 0) {
      await attempt("/dockhand.v1.Scaler/Scale", () => scaler.scale({ name: service.name, replicas, wait: false }));
    }
    location.hash = `#/services/${encodeURIComponent(service.name)}`;
  };

  const field = (key: Exclude<FormField, "init">, label: string, hint: string, input: ComponentChildren) => {
    const mine = problem?.at === key ? problem : undefined;
    return (
      <>
        <label for={`create-${key}`}>{label}</label>
        <div>
          {input}
          <span class="hint">{hint}</span>
          {mine ? <FieldProblem problem={mine} id={`create-${key}-problem`} /> : null}
        </div>
      </>
    );
  };
  const text = (key: Exclude<FormField, "init">, rows = 0) => {
    const props = {
      id: `create-${key}`,
      value: form[key],
      spellcheck: false,
      "aria-invalid": problem?.at === key ? true : undefined,
      "aria-describedby": problem?.at === key ? `create-${key}-problem` : undefined,
      onInput: (e: { currentTarget: { value: string } }) => setForm({ ...form, [key]: e.currentTarget.value }),
    };
    return rows ? <textarea rows={rows} {...props} /> : <input {...props} />;
  };

  return (
    <section aria-labelledby="create-title">
      <h2 id="create-title">Create a service</h2>
      <div class="toolbar" role="group" aria-label="How to describe it">
        <button type="button" aria-pressed={mode === "form"} onClick={() => setMode("form")}>
          Form
        </button>
        <button type="button" aria-pressed={mode === "yaml"} onClick={toYamlMode}>
          YAML
        </button>
      </div>
      <form onSubmit={(e) => void submit(e)} aria-label="New service">
        {mode === "form" ? (
          <div class="form-grid">
            {field(
              "name",
              "Name",
              "lower-case letters, digits, - _ .; containers are named <name>-<slot>",
              text("name"),
            )}
            {field("image", "Image", "with a tag or digest, for example dockhand-test/busybox:1", text("image"))}
            {field("command", "Command", 'argv, split as a shell does: sh -c "echo hi; sleep 60"', text("command"))}
            {field("environment", "Environment", "KEY=VALUE, one a line", text("environment", 3))}
            {field(
              "ports",
              "Ports",
              "[host_ip:]host_port:container_port[/udp], one a line; host port 0 picks one",
              text("ports", 2),
            )}
            {field("labels", "Labels", "KEY=VALUE, one a line", text("labels", 2))}
            {field("networks", "Networks", "names, comma-separated; missing ones are created", text("networks"))}
            <label for="create-init">Init</label>
            <div>
              <input
                id="create-init"
                type="checkbox"
                checked={form.init}
                onChange={(e) => setForm({ ...form, init: e.currentTarget.checked })}
              />
              <span class="hint">run docker-init as PID 1, so that the command gets SIGTERM</span>
            </div>
            {field("replicas", "Replicas", "containers to start once it is created", text("replicas"))}
          </div>
        ) : (
          <div>
            <label for="create-yaml">
              Definition as YAML (fields as in the proto; replicas: the count to scale to)
            </label>
            <textarea
              id="create-yaml"
              rows={Math.min(30, yaml.split("\n").length + 3)}
              spellcheck={false}
              value={yaml}
              aria-invalid={problem ? true : undefined}
              aria-describedby={problem ? "create-yaml-problem" : undefined}
              onInput={(e) => setYaml(e.currentTarget.value)}
            />
            {problem ? (
              <p id="create-yaml-problem" class="field-error" role="alert" data-field={problem.path ?? ""}>
                {problem.path ? (
                  <strong>{`${problem.path}${lineOf(yaml, problem.path) ? ` (line ${lineOf(yaml, problem.path)})` : ""}: `}</strong>
                ) : null}
                {problem.message}
              </p>
            ) : null}
          </div>
        )}
        {mode === "form" && problem?.at === "form" ? <FieldProblem problem={problem} id="create-problem" /> : null}
        <div class="toolbar">
          <button type="submit" disabled={busy || !!denied} title={denied}>
            Create service
          </button>
          <a href="#/services">Cancel</a>
        </div>
      </form>
    </section>
  );
}
