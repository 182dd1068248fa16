import { useState } from "preact/hooks";

/** A button that asks "sure?" in place before it acts: no modal, keyboard friendly. */
export function ConfirmButton({ label, question, onConfirm, disabled, title }: { label: string; question: string; onConfirm: () => void; disabled?: boolean; title?: string | undefined }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" class="danger" disabled={disabled} title={title} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={question}>
      <span>{question}</span>
      <button
        type="button"
        class="danger"
        autoFocus
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
      >
        Yes, {label.toLowerCase()}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
