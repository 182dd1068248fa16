import { useState } from "preact/hooks";
import { agent, setToken } from "./api.js";
import { deniedProcedures, describe, shownErrors, signInNeeded } from "./errors.js";

/** Takes a token, checks it with a viewer's call, and keeps it in session storage only. */
export function SignIn() {
  const [token, setValue] = useState("");
  const [problem, setProblem] = useState("");
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setToken(token.trim());
    try {
      await agent.getInfo({});
      setProblem("");
      shownErrors.set([]);
      deniedProcedures.set(new Map());
      signInNeeded.set(false);
    } catch (err) {
      setToken("");
      const { code, message } = describe(err);
      setProblem(`${code}: ${message}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="sign-in">
      <form onSubmit={(e) => void submit(e)} aria-labelledby="sign-in-title">
        <h2 id="sign-in-title">Sign in</h2>
        <p>This dockhand needs a token. It is kept in this tab's session storage only.</p>
        <label for="token">Token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          autoFocus
          required
          value={token}
          onInput={(e) => setValue(e.currentTarget.value)}
        />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {problem ? (
          <p role="alert" class="field-error">
            {problem}
          </p>
        ) : null}
      </form>
    </main>
  );
}
