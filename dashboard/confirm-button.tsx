import { useLayoutEffect, useRef, useState } from "preact/hooks";

/** A button that asks "sure?" in place before it acts: no modal, keyboard friendly. */
export function ConfirmButton({
  label,
  question,
  onConfirm,
  disabled,
  title,
}: {
  label: string;
  question: string;
  onConfirm: () => void;
  disabled?: boolean;
  title?: string | undefined;
}) {
  const [asking, setAsking] = useState(false);
  const yes = useRef<HTMLButtonElement>(null);
  const ask = useRef<HTMLButtonElement>(null);
  const answered = useRef(false);
  // Focus follows the question: onto "Yes" when it appears, back to the button when it goes
  // (as part of the render, so that the next key already lands there).
  useLayoutEffect(() => {
    if (asking) yes.current?.focus();
    else if (answered.current) ask.current?.focus();
  }, [asking]);
  const close = () => {
    answered.current = true;
    setAsking(false);
  };
  if (!asking) {
    return (
      <button ref={ask} type="button" class="danger" disabled={disabled} title={title} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={question} onKeyDown={(e) => e.key === "Escape" && close()}>
      <span>{question}</span>
      <button
        ref={yes}
        type="button"
        class="danger"
        onClick={() => {
          close();
          onConfirm();
        }}
      >
        Yes, {label.toLowerCase()}
      </button>
      <button type="button" onClick={close}>
        Cancel
      </button>
    </span>
  );
}
