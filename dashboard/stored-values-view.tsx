import { useEffect, useState } from "preact/hooks";
import { registry } from "./api.js";
import { ConfirmButton } from "./confirm-button.js";
import { CreateForm } from "./create-form.js";
import { describe, report } from "./errors.js";
import { attempt } from "./follow.js";
import { bytes, timestampText } from "./format.js";
import { LabelsCell } from "./labels-cell.js";
import { useDenied } from "./rights.js";
import { pairs } from "./service-form.js";

/** What the Secrets and Configs views share: both are named values with versions and labels. */
interface Stored {
  name: string;
  version: bigint;
  labels: Record<string, string>;
  sizeBytes: number;
  createTime?: Parameters<typeof timestampText>[0];
  updateTime?: Parameters<typeof timestampText>[0];
}

/** The calls of one kind: secrets or configs. */
export interface StoredValueCalls {
  kind: "secret" | "config";
  list(): Promise<readonly Stored[]>;
  create(name: string, value: Uint8Array, labels: Record<string, string>): Promise<unknown>;
  update(name: string, value: Uint8Array): Promise<{ version: bigint; rolled: readonly string[] }>;
  remove(name: string): Promise<unknown>;
  /** Reads a value back; configs only (a secret's value is write-only). */
  read?(name: string): Promise<Uint8Array>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const path = (method: string) => `/dockhand.v1.ServiceRegistry/${method}`;

/** Replaces one value; the text is sent and forgotten. */
function ReplaceValue({ calls, name, done }: { calls: StoredValueCalls; name: string; done: (note: string) => void }) {
  const [value, setValue] = useState("");
  const method = calls.kind === "secret" ? "UpdateSecret" : "UpdateConfig";
  const send = async (e: Event) => {
    e.preventDefault();
    const answer = await attempt(path(method), () => calls.update(name, encoder.encode(value)));
    setValue("");
    if (answer) {
      const rolled = answer.rolled.length ? `; rolling ${answer.rolled.join(", ")}` : "";
      done(`${name} is at version ${answer.version}${rolled}.`);
    }
  };
  return (
    <form class="toolbar" onSubmit={(e) => void send(e)} aria-label={`New value of ${name}`}>
      <label for="replace-value">New value of {name}</label>
      <textarea
        id="replace-value"
        rows={2}
        spellcheck={false}
        autoComplete="off"
        value={value}
        onInput={(e) => setValue(e.currentTarget.value)}
      />
      <button type="submit">Save</button>
      <button type="button" onClick={() => done("")}>
        Cancel
      </button>
    </form>
  );
}

/** Secrets or configs: list, create, replace a value, delete; a config's value can also be read. */
export function StoredValuesView({ calls }: { calls: StoredValueCalls }) {
  const title = calls.kind === "secret" ? "Secrets" : "Configs";
  const Kind = calls.kind === "secret" ? "Secret" : "Config";
  const [items, setItems] = useState<readonly Stored[] | undefined>(undefined);
  const [replacing, setReplacing] = useState<string | undefined>(undefined);
  const [shown, setShown] = useState<{ name: string; text: string } | undefined>(undefined);
  const [note, setNote] = useState("");
  const createDenied = useDenied(path(`Create${Kind}`));
  const updateDenied = useDenied(path(`Update${Kind}`));
  const deleteDenied = useDenied(path(`Delete${Kind}`));

  const list = async () => {
    const answer = await attempt(path(`List${Kind}s`), () => calls.list());
    if (answer) setItems(answer);
  };
  useEffect(() => void list(), []);
  const show = async (name: string) => {
    try {
      setShown({ name, text: decoder.decode(await calls.read!(name)) });
    } catch (err) {
      report(err, path(`Get${Kind}`));
      setShown({ name, text: `[${describe(err).code}: ${describe(err).message}]` });
    }
  };

  return (
    <section aria-labelledby={`${calls.kind}s-title`}>
      <h2 id={`${calls.kind}s-title`}>{title}</h2>
      <p class="muted">
        {calls.kind === "secret"
          ? "A secret's value is write-only: it is sent once and never shown again, here or by the API."
          : "A config's value is mounted as a file, as a secret's, but it can be read back."}{" "}
        Services mount them by name (Service.{calls.kind}s); a new value rolls those services.
      </p>
      <CreateForm
        title={`Create a ${calls.kind}`}
        procedure={path(`Create${Kind}`)}
        disabledBecause={createDenied}
        fields={[
          { key: "name", label: "Name", hint: "lower-case letters, digits, - and ." },
          {
            key: "value",
            label: "Value",
            hint: "text, sent as UTF-8",
            kind: calls.kind === "secret" ? "secret" : "textarea",
          },
          { key: "labels", label: "Labels", hint: "KEY=VALUE, one a line", kind: "textarea" },
        ]}
        submit={async (v) => {
          const name = String(v.name).trim();
          await calls.create(name, encoder.encode(String(v.value)), pairs(String(v.labels), "labels"));
          void list();
          return `Created ${name}.`;
        }}
      />
      {replacing ? (
        <ReplaceValue
          calls={calls}
          name={replacing}
          done={(text) => {
            setReplacing(undefined);
            setNote(text);
            void list();
          }}
        />
      ) : null}
      <p role="status">{note}</p>
      {shown ? (
        <div class="create" aria-label={`Value of ${shown.name}`}>
          <h3>Value of {shown.name}</h3>
          <pre data-value={shown.name}>{shown.text}</pre>
          <button type="button" onClick={() => setShown(undefined)}>
            Hide
          </button>
        </div>
      ) : null}
      {!items ? (
        <p role="status">Loading…</p>
      ) : items.length === 0 ? (
        <p>No {calls.kind}s yet.</p>
      ) : (
        <table class={`${calls.kind}s`}>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Version</th>
              <th scope="col">Size</th>
              <th scope="col">Labels</th>
              <th scope="col">Created</th>
              <th scope="col">Updated</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {items.map((s) => (
              <tr key={s.name} data-name={s.name}>
                <th scope="row">{s.name}</th>
                <td data-col="version">{String(s.version)}</td>
                <td>{bytes(s.sizeBytes)}</td>
                <td>
                  <LabelsCell labels={s.labels} />
                </td>
                <td>{timestampText(s.createTime)}</td>
                <td>{timestampText(s.updateTime)}</td>
                <td class="actions">
                  {calls.read ? (
                    <button type="button" onClick={() => void show(s.name)}>
                      Show value<span class="visually-hidden"> of {s.name}</span>
                    </button>
                  ) : null}
                  <button
                    type="button"
                    disabled={!!updateDenied}
                    title={updateDenied}
                    onClick={() => setReplacing(s.name)}
                  >
                    Replace value<span class="visually-hidden"> of {s.name}</span>
                  </button>
                  <ConfirmButton
                    label="Delete"
                    question={`Delete ${calls.kind} ${s.name}?`}
                    disabled={!!deleteDenied}
                    title={deleteDenied}
                    onConfirm={() => void attempt(path(`Delete${Kind}`), () => calls.remove(s.name)).then(() => list())}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** What the registry offers for secrets: no read. */
export const secretCalls: StoredValueCalls = {
  kind: "secret",
  list: async () => (await registry.listSecrets({})).secrets,
  create: (name, value, labels) => registry.createSecret({ name, value, labels }),
  update: async (name, value) => {
    const answer = await registry.updateSecret({ name, value });
    return { version: answer.secret?.version ?? 0n, rolled: answer.rolledServices };
  },
  remove: (name) => registry.deleteSecret({ name }),
};

export const configCalls: StoredValueCalls = {
  kind: "config",
  list: async () => (await registry.listConfigs({})).configs,
  create: (name, value, labels) => registry.createConfig({ name, value, labels }),
  update: async (name, value) => {
    const answer = await registry.updateConfig({ name, value });
    return { version: answer.config?.version ?? 0n, rolled: answer.rolledServices };
  },
  remove: (name) => registry.deleteConfig({ name }),
  read: async (name) => (await registry.getConfig({ name })).config?.value ?? new Uint8Array(),
};
