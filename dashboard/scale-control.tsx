import { useEffect, useState } from "preact/hooks";
import { scaler } from "./api.js";
import { attempt } from "./follow.js";
import { useDenied } from "./rights.js";

const procedure = "/dockhand.v1.Scaler/Scale";

/** A number field with − and + buttons; each change asks for the new count at once. */
export function ScaleControl({ name, desired }: { name: string; desired: number }) {
  const [value, setValue] = useState(String(desired));
  const denied = useDenied(procedure);
  useEffect(() => setValue(String(desired)), [desired]);
  const scale = (replicas: number) => {
    if (!Number.isInteger(replicas) || replicas < 0) return;
    setValue(String(replicas));
    // A refused count goes back to the one in force.
    void attempt(procedure, () => scaler.scale({ name, replicas, wait: false })).then(
      (done) => done || setValue(String(desired)),
    );
  };
  const id = `scale-${name}`;
  return (
    <form
      class="scale"
      onSubmit={(e) => {
        e.preventDefault();
        scale(Number(value));
      }}
      title={denied}
    >
      <button
        type="button"
        aria-label={`Scale ${name} down by one`}
        disabled={!!denied || desired === 0}
        title={denied}
        onClick={() => scale(desired - 1)}
      >
        −
      </button>
      <label class="visually-hidden" for={id}>
        Replicas of {name}
      </label>
      <input
        id={id}
        type="number"
        min={0}
        value={value}
        disabled={!!denied}
        title={denied}
        onInput={(e) => setValue(e.currentTarget.value)}
      />
      <button
        type="button"
        aria-label={`Scale ${name} up by one`}
        disabled={!!denied}
        title={denied}
        onClick={() => scale(desired + 1)}
      >
        +
      </button>
      <button type="submit" disabled={!!denied} title={denied}>
        Scale
      </button>
    </form>
  );
}
