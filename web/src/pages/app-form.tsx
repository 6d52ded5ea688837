import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { AppSpecSchema } from "../../../spec/items.js";
import { byField, EMPTY, formOf, specOf, type AppForm } from "../app-spec.js";
import { getJson, sendJson, seg, type Operation } from "../api.js";
import { apiIssues, Field, FormError, TextField, zodIssues, type Issues } from "../parts/form.js";
import { Link, navigate } from "../router.js";

/**
 * Deploys or edits an app. The form is checked with the API's own schema before it is sent, and
 * the service's refusals are shown beside the field they name.
 */
export function AppFormPage(props: { project: string; app?: string }): JSX.Element {
  const [form, setForm] = useState<AppForm>(EMPTY);
  const [issues, setIssues] = useState<Issues>({});
  const [busy, setBusy] = useState(false);
  const editing = props.app !== undefined;
  const p = seg(props.project);

  useEffect(() => {
    if (!props.app) return;
    getJson<Record<string, unknown>>(`/v1/projects/${p}/apps/${seg(props.app)}`)
      .then((spec) => setForm(formOf(spec)))
      .catch((error: unknown) => setIssues(apiIssues(error)));
  }, [props.project, props.app]);

  const set = (key: keyof AppForm) => (value: string) => setForm((old) => ({ ...old, [key]: value }));

  const submit = async (event: Event) => {
    event.preventDefault();
    const spec = specOf(form);
    const checked = AppSpecSchema.safeParse(spec);
    if (!checked.success) {
      setIssues(byField({ ...zodIssues(checked.error), "": "Some fields need a change; see below." }));
      focusFirstError();
      return;
    }
    setBusy(true);
    try {
      const { name, ...body } = spec;
      const operation = await sendJson<Operation>("PUT", `/v1/projects/${p}/apps/${seg(String(name))}`, body);
      navigate(
        `/operations/${operation?.id ?? ""}?project=${encodeURIComponent(props.project)}&app=${encodeURIComponent(String(name))}`,
      );
    } catch (error) {
      setIssues(byField(apiIssues(error)));
      focusFirstError();
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="narrow">
      <nav aria-label="Breadcrumb" class="crumbs">
        <Link href="/">Projects</Link> / <Link href={`/projects/${p}`}>{props.project}</Link> /{" "}
        <span aria-current="page">{editing ? `Edit ${props.app}` : "Deploy an app"}</span>
      </nav>
      <h1>{editing ? `Edit ${props.app ?? ""}` : "Deploy an app"}</h1>
      <form class="card" onSubmit={submit} noValidate>
        <FormError issues={issues} />
        {!editing && (
          <TextField
            id="name"
            label="Name"
            hint="Lower-case letters, digits and dashes."
            value={form.name}
            onInput={set("name")}
            error={issues["name"]}
            required
          />
        )}
        <TextField
          id="image"
          label="Image"
          hint="A container image such as ghcr.io/me/shop:1.2"
          value={form.image}
          onInput={set("image")}
          error={issues["image"]}
          required
        />
        <fieldset>
          <legend>Size of each replica</legend>
          <div class="choices">
            <label>
              <input
                type="radio"
                name="sizing"
                value="chunks"
                checked={form.sizing === "chunks"}
                onChange={() => set("sizing")("chunks")}
              />{" "}
              Chunks
            </label>
            <label>
              <input
                type="radio"
                name="sizing"
                value="resources"
                checked={form.sizing === "resources"}
                onChange={() => set("sizing")("resources")}
              />{" "}
              CPU, memory and disk
            </label>
          </div>
          {form.sizing === "chunks" ? (
            <TextField
              id="chunks"
              label="Chunks"
              inputMode="numeric"
              value={form.chunks}
              onInput={set("chunks")}
              error={issues["chunks"]}
            />
          ) : (
            <div class="columns">
              <TextField
                id="cpu"
                label="CPU"
                hint="Such as 250m or 1"
                value={form.cpu}
                onInput={set("cpu")}
                error={issues["cpu"]}
              />
              <TextField
                id="memory"
                label="Memory"
                hint="Such as 512Mi"
                value={form.memory}
                onInput={set("memory")}
                error={issues["memory"]}
              />
              <TextField
                id="disk"
                label="Disk"
                hint="Such as 1Gi"
                value={form.disk}
                onInput={set("disk")}
                error={issues["disk"]}
              />
            </div>
          )}
        </fieldset>
        <div class="columns">
          <TextField
            id="replicas"
            label="Replicas"
            inputMode="numeric"
            value={form.replicas}
            onInput={set("replicas")}
            error={issues["replicas"]}
          />
          <TextField
            id="port"
            label="Port"
            hint="The port the app listens on"
            inputMode="numeric"
            value={form.port}
            onInput={set("port")}
            error={issues["port"]}
          />
        </div>
        <TextArea
          id="env"
          label="Environment"
          hint="One NAME=value a line. Secret values go in the app's secret environment."
          value={form.env}
          onInput={set("env")}
          error={issues["env"]}
        />
        <TextArea
          id="volumes"
          label="Volumes"
          hint="One volume:/mount/path a line"
          value={form.volumes}
          onInput={set("volumes")}
          error={issues["volumes"]}
        />
        <TextArea
          id="customDomains"
          label="Custom domains"
          hint="One verified domain a line"
          value={form.customDomains}
          onInput={set("customDomains")}
          error={issues["customDomains"]}
        />
        <div class="columns">
          <TextField
            id="probePath"
            label="Health check path"
            hint="Such as /healthz; a TCP check when empty"
            value={form.probePath}
            onInput={set("probePath")}
            error={issues["probePath"]}
          />
          <TextField
            id="command"
            label="Command"
            hint="Words separated by spaces; the image's own when empty"
            value={form.command}
            onInput={set("command")}
            error={issues["command"]}
          />
        </div>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Sending…" : editing ? "Save and deploy" : "Deploy"}
        </button>
      </form>
    </main>
  );
}

function TextArea(props: {
  id: string;
  label: string;
  hint?: string;
  value: string;
  onInput: (value: string) => void;
  error?: string;
}): JSX.Element {
  return (
    <Field id={props.id} label={props.label} hint={props.hint} error={props.error}>
      {(describedBy, invalid) => (
        <textarea
          id={props.id}
          rows={3}
          value={props.value}
          aria-describedby={describedBy}
          aria-invalid={invalid}
          onInput={(event) => props.onInput((event.target as HTMLTextAreaElement).value)}
        />
      )}
    </Field>
  );
}

/** Moves focus to the first field in error, once the page shows the errors. */
function focusFirstError(): void {
  setTimeout(() => document.querySelector<HTMLElement>("[aria-invalid='true']")?.focus(), 0);
}
