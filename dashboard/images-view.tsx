import { useEffect, useState } from "preact/hooks";
import type { Image } from "../gen/dockhand/v1/agent_images_pb.js";
import { agent } from "./api.js";
import { ConfirmButton } from "./confirm-button.js";
import { describe, report } from "./errors.js";
import { attempt } from "./follow.js";
import { bytes, shortId } from "./format.js";
import { useDenied } from "./rights.js";

const path = (method: string) => `/dockhand.v1.ContainerAgent/${method}`;

interface Pull {
  image: string;
  /** Bytes done and total per layer, as the PullImage stream reports them. */
  layers: ReadonlyMap<string, { current: number; total: number; status: string }>;
  outcome?: string;
}

function PullProgress({ pull }: { pull: Pull }) {
  let current = 0;
  let total = 0;
  for (const layer of pull.layers.values()) {
    current += layer.current;
    total += layer.total;
  }
  const done = pull.outcome !== undefined;
  const percent = done ? 100 : total > 0 ? Math.round((current / total) * 100) : 0;
  return (
    <div class="pull" data-pull={pull.image}>
      <label for="pull-progress">Pulling {pull.image}</label>
      <progress id="pull-progress" max={100} value={percent} aria-valuetext={`${percent} %`}>
        {percent} %
      </progress>
      <span>
        {percent} % ({pull.layers.size} layers{total ? `, ${bytes(current)} of ${bytes(total)}` : ""})
      </span>
      <ul class="muted">
        {[...pull.layers].map(([id, layer]) => (
          <li key={id}>
            {id}: {layer.status}
          </li>
        ))}
      </ul>
      {pull.outcome ? <p role="status">{pull.outcome}</p> : null}
    </div>
  );
}

/** The engine's images: pull with live progress, tag, delete. */
export function ImagesView() {
  const [images, setImages] = useState<readonly Image[] | undefined>(undefined);
  const [reference, setReference] = useState("");
  const [pull, setPull] = useState<Pull | undefined>(undefined);
  const [tagging, setTagging] = useState<{ source: string; target: string } | undefined>(undefined);
  const pullDenied = useDenied(path("PullImage"));
  const tagDenied = useDenied(path("TagImage"));
  const deleteDenied = useDenied(path("DeleteImage"));

  const list = async () => {
    const answer = await attempt(path("ListImages"), () => agent.listImages({}));
    if (answer) setImages(answer.images);
  };
  useEffect(() => void list(), []);

  const startPull = async (e: Event) => {
    e.preventDefault();
    const image = reference.trim();
    if (!image) return;
    let state: Pull = { image, layers: new Map() };
    setPull(state);
    try {
      for await (const message of agent.pullImage({ image })) {
        if (message.event.case === "progress") {
          const p = message.event.value;
          if (!p.layerId) continue;
          const layers = new Map(state.layers);
          const before = layers.get(p.layerId);
          layers.set(p.layerId, {
            current: Number(p.currentBytes) || (before?.current ?? 0),
            total: Number(p.totalBytes) || (before?.total ?? 0),
            status: p.status,
          });
          state = { ...state, layers };
        } else if (message.event.case === "result") {
          state = {
            ...state,
            outcome: `Pulled ${message.event.value.image} (${shortId(message.event.value.imageId)})`,
          };
        }
        setPull(state);
      }
    } catch (err) {
      report(err, path("PullImage"));
      const { code, message } = describe(err);
      setPull({ ...state, outcome: `Failed: ${code}: ${message}` });
    }
    void list();
  };

  const tag = async (e: Event) => {
    e.preventDefault();
    if (!tagging) return;
    const done = await attempt(path("TagImage"), () => agent.tagImage(tagging));
    if (done) {
      setTagging(undefined);
      void list();
    }
  };

  return (
    <section aria-labelledby="images-title">
      <h2 id="images-title">Images</h2>
      <form class="toolbar" onSubmit={(e) => void startPull(e)}>
        <label for="pull-reference">Image to pull</label>
        <input
          id="pull-reference"
          value={reference}
          placeholder="127.0.0.1:5000/team/app:1"
          onInput={(e) => setReference(e.currentTarget.value)}
        />
        <button
          type="submit"
          disabled={!!pullDenied || (pull !== undefined && pull.outcome === undefined)}
          title={pullDenied}
        >
          Pull
        </button>
      </form>
      {pull ? <PullProgress pull={pull} /> : null}
      {tagging ? (
        <form class="toolbar" onSubmit={(e) => void tag(e)}>
          <label for="tag-target">New tag for {tagging.source}</label>
          <input
            id="tag-target"
            value={tagging.target}
            onInput={(e) => setTagging({ ...tagging, target: e.currentTarget.value })}
          />
          <button type="submit">Tag</button>
          <button type="button" onClick={() => setTagging(undefined)}>
            Cancel
          </button>
        </form>
      ) : null}
      {!images ? (
        <p role="status">Loading…</p>
      ) : (
        <table class="images">
          <thead>
            <tr>
              <th scope="col">Tags</th>
              <th scope="col">Id</th>
              <th scope="col">Size</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {images.map((image) => {
              const name = image.repoTags[0] ?? shortId(image.id);
              return (
                <tr key={image.id} data-image={name}>
                  <th scope="row">{image.repoTags.join(", ") || "<none>"}</th>
                  <td>
                    <code>{shortId(image.id)}</code>
                  </td>
                  <td>{bytes(image.sizeBytes)}</td>
                  <td class="actions">
                    <button
                      type="button"
                      disabled={!!tagDenied}
                      title={tagDenied}
                      onClick={() => setTagging({ source: name, target: "" })}
                    >
                      Tag<span class="visually-hidden"> {name}</span>
                    </button>
                    <ConfirmButton
                      label="Delete"
                      question={`Delete ${name}?`}
                      disabled={!!deleteDenied}
                      title={deleteDenied}
                      onConfirm={() =>
                        void attempt(path("DeleteImage"), () => agent.deleteImage({ image: name })).then(() => list())
                      }
                    />
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
