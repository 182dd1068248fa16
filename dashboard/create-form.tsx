import { Fragment } from "preact";
import { useState } from "preact/hooks";
import { describe, report } from "./errors.js";
import { fieldOf, topField } from "./field-paths.js";
import { FormProblem } from "./service-form.js";

/** One field of a CreateForm; `key` is the request field the server names when it refuses it. */
export interface FieldSpec {
  key: string;
  label: string;
  hint?: string;
  kind?: "input" | "textarea" | "checkbox" | "secret";
}

export type FormValues = Record<string, string | boolean>;

interface Problem {
  at: string;
  path: string;
  message: string;
}

/**
 * A small form that creates something with one call. A refusal that names one of its fields
 * shows under that field; any other shows under the form (and in the page's error list). A
 * `secret` field is a write-only text area: emptied once sent, never read back.
 */
export function CreateForm({
  title,
  fields,
  procedure,
  disabledBecause,
  submit,
}: {
  title: string;
  fields: readonly FieldSpec[];
  procedure: string;
  disabledBecause: string | undefined;
  submit: (values: FormValues) => Promise<string>;
}) {
  const initial = (): FormValues => Object.fromEntries(fields.map((f) => [f.key, f.kind === "checkbox" ? false : ""]));
  const [values, setValues] = useState<FormValues>(initial);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [done, setDone] = useState("");
  const [busy, setBusy] = useState(false);
  const id = (key: string) => `${procedure.split("/").pop()}-${key}`;

  const send = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setDone("");
    try {
      const outcome = await submit(values);
      setProblem(undefined);
      setValues(initial());
      setDone(outcome);
    } catch (err) {
      if (err instanceof FormProblem) {
        setProblem({ at: String(err.field), path: String(err.field), message: err.message });
      } else {
        const path = fieldOf(err);
        const at = path && fields.some((f) => f.key === topField(path)) ? topField(path) : "";
        if (!at) report(err, procedure);
        const { code, message } = describe(err);
        setProblem({ at, path: path ?? "", message: `${code}: ${message}` });
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="create" onSubmit={(e) => void send(e)} aria-label={title}>
      <h3>{title}</h3>
      <div class="form-grid">
        {fields.map((f) => {
          const mine = problem?.at === f.key ? problem : undefined;
          const common = {
            id: id(f.key),
            "aria-invalid": mine ? true : undefined,
            "aria-describedby": mine ? `${id(f.key)}-problem` : undefined,
          };
          const value = values[f.key];
          const set = (v: string | boolean) => setValues({ ...values, [f.key]: v });
          return (
            <Fragment key={f.key}>
              <label for={id(f.key)}>{f.label}</label>
              <div>
                {f.kind === "checkbox" ? (
                  <input
                    {...common}
                    type="checkbox"
                    checked={value === true}
                    onChange={(e) => set(e.currentTarget.checked)}
                  />
                ) : f.kind === "textarea" || f.kind === "secret" ? (
                  <textarea
                    {...common}
                    rows={3}
                    spellcheck={false}
                    autoComplete="off"
                    value={String(value)}
                    onInput={(e) => set(e.currentTarget.value)}
                  />
                ) : (
                  <input {...common} value={String(value)} onInput={(e) => set(e.currentTarget.value)} />
                )}
                {f.hint ? <span class="hint">{f.hint}</span> : null}
                {mine ? (
                  <p id={`${id(f.key)}-problem`} class="field-error" role="alert" data-field={mine.path}>
                    {mine.message}
                  </p>
                ) : null}
              </div>
            </Fragment>
          );
        })}
      </div>
      {problem && !problem.at ? (
        <p class="field-error" role="alert" data-field={problem.path}>
          {problem.message}
        </p>
      ) : null}
      <div class="toolbar">
        <button type="submit" disabled={busy || !!disabledBecause} title={disabledBecause}>
          Create
        </button>
        <span role="status">{done}</span>
      </div>
    </form>
  );
}
