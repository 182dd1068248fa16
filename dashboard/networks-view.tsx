import { useEffect, useState } from "preact/hooks";
import type { Network } from "../gen/dockhand/v1/agent_resources_pb.js";
import { agent } from "./api.js";
import { ConfirmButton } from "./confirm-button.js";
import { CreateForm } from "./create-form.js";
import { attempt } from "./follow.js";
import { shortId, timestampText } from "./format.js";
import { LabelsCell } from "./labels-cell.js";
import { useDenied } from "./rights.js";
import { pairs } from "./service-form.js";

const path = (method: string) => `/dockhand.v1.ContainerAgent/${method}`;
/** The engine's own networks: it refuses to delete them, so they get no Delete button. */
const builtIn = new Set(["bridge", "host", "none"]);

/** The engine's networks: create a user-defined bridge, delete one no container uses. */
export function NetworksView() {
  const [networks, setNetworks] = useState<readonly Network[] | undefined>(undefined);
  const createDenied = useDenied(path("CreateNetwork"));
  const deleteDenied = useDenied(path("DeleteNetwork"));

  const list = async () => {
    const answer = await attempt(path("ListNetworks"), () => agent.listNetworks({}));
    if (answer) setNetworks(answer.networks);
  };
  useEffect(() => void list(), []);

  return (
    <section aria-labelledby="networks-title">
      <h2 id="networks-title">Networks</h2>
      <CreateForm
        title="Create a network"
        procedure={path("CreateNetwork")}
        disabledBecause={createDenied}
        fields={[
          { key: "name", label: "Name", hint: "letters, digits, _ . -; a user-defined bridge" },
          { key: "labels", label: "Labels", hint: "KEY=VALUE, one a line", kind: "textarea" },
          { key: "internal", label: "Internal", hint: "no route outside the host", kind: "checkbox" },
        ]}
        submit={async (v) => {
          const answer = await agent.createNetwork({
            name: String(v.name).trim(),
            labels: pairs(String(v.labels), "labels"),
            internal: v.internal === true,
          });
          void list();
          return answer.created ? `Created ${answer.network?.name}.` : `${answer.network?.name} existed already.`;
        }}
      />
      {!networks ? (
        <p role="status">Loading…</p>
      ) : (
        <table class="networks">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Driver</th>
              <th scope="col">Scope</th>
              <th scope="col">Internal</th>
              <th scope="col">Labels</th>
              <th scope="col">Created</th>
              <th scope="col">Id</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {networks.map((n) => (
              <tr key={n.id} data-network={n.name}>
                <th scope="row">{n.name}</th>
                <td>{n.driver}</td>
                <td>{n.scope}</td>
                <td>{n.internal ? "yes" : "no"}</td>
                <td>
                  <LabelsCell labels={n.labels} all />
                </td>
                <td>{timestampText(n.createTime)}</td>
                <td>
                  <code>{shortId(n.id)}</code>
                </td>
                <td class="actions">
                  {builtIn.has(n.name) ? (
                    <span class="muted">the engine's</span>
                  ) : (
                    <ConfirmButton
                      label="Delete"
                      question={`Delete network ${n.name}?`}
                      disabled={!!deleteDenied}
                      title={deleteDenied}
                      onConfirm={() =>
                        void attempt(path("DeleteNetwork"), () => agent.deleteNetwork({ network: n.id })).then(() =>
                          list(),
                        )
                      }
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
