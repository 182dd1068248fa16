import { useEffect, useState } from "preact/hooks";
import type { Volume } from "../gen/dockhand/v1/agent_resources_pb.js";
import { agent, scaler } from "./api.js";
import { ConfirmButton } from "./confirm-button.js";
import { CreateForm } from "./create-form.js";
import { attempt } from "./follow.js";
import { timestampText } from "./format.js";
import { LabelsCell } from "./labels-cell.js";
import { useDenied } from "./rights.js";
import { pairs } from "./service-form.js";

const path = (method: string) => `/dockhand.v1.ContainerAgent/${method}`;

/** The engine's volumes: which service each is dockhand's for, which no definition mounts any more; create, delete. */
export function VolumesView() {
  const [volumes, setVolumes] = useState<readonly Volume[] | undefined>(undefined);
  const [unused, setUnused] = useState<ReadonlySet<string>>(new Set());
  const createDenied = useDenied(path("CreateVolume"));
  const deleteDenied = useDenied(path("DeleteVolume"));

  const list = async () => {
    const [answer, spare] = await Promise.all([
      attempt(path("ListVolumes"), () => agent.listVolumes({})),
      attempt("/dockhand.v1.Scaler/ListUnusedVolumes", () => scaler.listUnusedVolumes({})),
    ]);
    if (answer) setVolumes(answer.volumes);
    if (spare) setUnused(new Set(spare.volumes.map((v) => v.name)));
  };
  useEffect(() => void list(), []);

  return (
    <section aria-labelledby="volumes-title">
      <h2 id="volumes-title">Volumes</h2>
      <CreateForm
        title="Create a volume"
        procedure={path("CreateVolume")}
        disabledBecause={createDenied}
        fields={[
          { key: "name", label: "Name", hint: "letters, digits, _ . -" },
          { key: "labels", label: "Labels", hint: "KEY=VALUE, one a line", kind: "textarea" },
        ]}
        submit={async (v) => {
          const answer = await agent.createVolume({
            name: String(v.name).trim(),
            labels: pairs(String(v.labels), "labels"),
          });
          void list();
          return answer.created ? `Created ${answer.volume?.name}.` : `${answer.volume?.name} existed already.`;
        }}
      />
      {!volumes ? (
        <p role="status">Loading…</p>
      ) : volumes.length === 0 ? (
        <p>No volumes.</p>
      ) : (
        <table class="volumes">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Service</th>
              <th scope="col">Driver</th>
              <th scope="col">Labels</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {volumes.map((v) => (
              <tr key={v.name} data-volume={v.name}>
                <th scope="row">
                  {v.name}
                  {unused.has(v.name) ? <span class="badge">unused</span> : null}
                </th>
                <td>{v.labels["dockhand.service"] ?? <span class="muted">—</span>}</td>
                <td>{v.driver}</td>
                <td>
                  <LabelsCell labels={v.labels} />
                </td>
                <td>{timestampText(v.createTime)}</td>
                <td class="actions">
                  <ConfirmButton
                    label="Delete"
                    question={`Delete volume ${v.name} and its data?`}
                    disabled={!!deleteDenied}
                    title={deleteDenied}
                    onConfirm={() =>
                      void attempt(path("DeleteVolume"), () => agent.deleteVolume({ name: v.name })).then(() => list())
                    }
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
