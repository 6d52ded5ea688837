import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { sendJson } from "../api.js";
import { apiIssues, FormError, TextField, type Issues } from "../parts/form.js";

/**
 * Sign-in with a pluskube token. The token goes to the service once and is exchanged for an
 * HttpOnly cookie; the page keeps only the session's CSRF token, in memory.
 */
export function SignIn(props: { onSignedIn: (csrf: string) => void }): JSX.Element {
  const [token, setToken] = useState("");
  const [issues, setIssues] = useState<Issues>({});
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!/^pk_\S+$/.test(token.trim())) {
      setIssues({ token: "a pluskube token starts with pk_" });
      return;
    }
    setBusy(true);
    try {
      const session = await sendJson<{ csrfToken: string }>("POST", "/v1/session", { token: token.trim() });
      setToken("");
      props.onSignedIn(session?.csrfToken ?? "");
    } catch (error) {
      const found = apiIssues(error);
      setIssues({ token: found["token"] ?? found[""] ?? "sign-in failed" });
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="narrow">
      <h1>Sign in to pluskube</h1>
      <p class="muted">
        Paste a pluskube token (it starts with <code>pk_</code>). It is exchanged for a session of this
        browser and is not stored in it.
      </p>
      <form class="card" onSubmit={submit} noValidate>
        <FormError issues={issues} />
        <TextField
          id="token"
          label="Token"
          type="password"
          value={token}
          onInput={setToken}
          error={issues["token"]}
          autoComplete="off"
          required
        />
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
