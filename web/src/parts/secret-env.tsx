import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { isSecretEnvName, SECRET_ENV_NAME_MESSAGE, secretValue } from "../../../spec/secrets.js";
import { getJson, send, sendJson, seg, type Operation, type Page } from "../api.js";
import { navigate } from "../router.js";
import { useData } from "../use-data.js";
import { apiIssues, FormError, TextField, type Issues } from "./form.js";

/**
 * An app's secret variables: their names and when each was set, never their values (the
 * service keeps them sealed). Setting or removing one redeploys the app.
 */
export function SecretEnv(props: { project: string; app: string }): JSX.Element {
  const base = `/v1/projects/${seg(props.project)}/apps/${seg(props.app)}/secret-env`;
  const list = useData((signal) => getJson<Page<{ name: string; setAt: string }>>(base, signal), [base]);
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const [issues, setIssues] = useState<Issues>({});
  const follow = (operation: Operation | undefined) =>
    navigate(
      `/operations/${operation?.id ?? ""}?project=${encodeURIComponent(props.project)}&app=${encodeURIComponent(props.app)}`,
    );

  const submit = async (event: Event) => {
    event.preventDefault();
    const checked = secretValue.safeParse(value);
    if (!isSecretEnvName(name) || !checked.success) {
      setIssues({
        ...(isSecretEnvName(name) ? {} : { name: SECRET_ENV_NAME_MESSAGE }),
        ...(checked.success ? {} : { value: checked.error.issues[0]?.message ?? "not a value" }),
      });
      return;
    }
    try {
      follow(await sendJson<Operation>("PUT", `${base}/${seg(name)}`, { value }));
    } catch (error) {
      setIssues(apiIssues(error));
    }
  };
  const remove = async (variable: string) => {
    if (!window.confirm(`Remove the secret variable ${variable}?`)) return;
    try {
      const response = await send("DELETE", `${base}/${seg(variable)}`);
      follow(response.status === 202 ? ((await response.json()) as Operation) : undefined);
    } catch (error) {
      setIssues(apiIssues(error));
    }
  };

  return (
    <section class="card" aria-labelledby="secret-env-title">
      <h2 id="secret-env-title">Secret environment</h2>
      {list.error && <p class="muted">{list.error}</p>}
      <ul class="list">
        {list.data?.items.map((item) => (
          <li key={item.name} class="row">
            <span>
              <code>{item.name}</code> <span class="muted">set {new Date(item.setAt).toLocaleString()}</span>
            </span>
            <button type="button" class="danger" onClick={() => void remove(item.name)}>
              Remove<span class="sr-only"> {item.name}</span>
            </button>
          </li>
        ))}
      </ul>
      <form onSubmit={submit} noValidate class="inline-form">
        <FormError issues={issues} />
        <TextField id="secret-name" label="Variable" value={name} onInput={setName} error={issues["name"]} />
        <TextField
          id="secret-value"
          label="Value"
          type="password"
          value={value}
          onInput={setValue}
          error={issues["value"]}
        />
        <button type="submit">Set secret</button>
      </form>
    </section>
  );
}
