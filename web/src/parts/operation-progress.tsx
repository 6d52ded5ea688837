import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { getJson, operationEvents, seg, type Item, type Operation } from "../api.js";

interface Line {
  readonly id: string;
  readonly text: string;
  readonly failed: boolean;
}

/** One engine event in a line of plain text (never HTML: it is rendered as a text node). */
function lineOf(type: string, data: Record<string, unknown>): string {
  const str = (key: string) => (typeof data[key] === "string" ? (data[key] as string) : "");
  switch (type) {
    case "resource": {
      const name = str("urn").split("::").at(-1) ?? "";
      return `${str("op")} ${str("resourceType")} ${name}: ${str("status")}`;
    }
    case "run":
      return `run ${str("phase")}${str("message") ? `: ${str("message")}` : ""}`;
    case "diagnostic":
      return `${str("severity")}: ${str("message")}`;
    case "policy":
      return `policy ${str("policy") || str("name")}: ${str("message")}`;
    default:
      return `${type}${str("message") ? `: ${str("message")}` : ""}`;
  }
}

/**
 * An operation's events as they stream, then its outcome and, for an app, its URL. Opening the
 * page again streams the operation again from its first event, so leaving and coming back
 * resumes where the operation is.
 */
export function OperationProgress(props: {
  id: string;
  app?: { project: string; name: string };
}): JSX.Element {
  const [lines, setLines] = useState<Line[]>([]);
  const [final, setFinal] = useState<Operation | undefined>();
  const [url, setUrl] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    const abort = new AbortController();
    setLines([]);
    setFinal(undefined);
    void (async () => {
      try {
        for await (const event of operationEvents(props.id, abort.signal)) {
          if (event.event === "done") {
            setFinal(event.data as unknown as Operation);
            break;
          }
          if (event.event === "unauthorized") {
            setError("The session ended while the operation ran; sign in again to follow it.");
            break;
          }
          const data = (event.data["data"] ?? {}) as Record<string, unknown>;
          const type = typeof event.data["type"] === "string" ? (event.data["type"] as string) : event.event;
          const text = lineOf(type, data);
          setLines((old) => [
            ...old,
            { id: event.id ?? String(old.length), text, failed: /failed|error/.test(text) },
          ]);
        }
      } catch (caught) {
        if (!abort.signal.aborted) setError(caught instanceof Error ? caught.message : String(caught));
      }
    })();
    return () => abort.abort();
  }, [props.id]);

  useEffect(() => {
    if (final?.status !== "succeeded" || !props.app) return;
    const { project, name } = props.app;
    getJson<Item<{ name: string }>>(`/v1/projects/${seg(project)}/apps/${seg(name)}`)
      .then((app) => setUrl(app.outputs?.url))
      .catch(() => undefined);
  }, [final, props.app?.project, props.app?.name]);

  const state = final ? final.status : "running";
  return (
    <section class="card" aria-labelledby="progress-title">
      <h2 id="progress-title">
        Operation <span class={`badge ${state}`}>{state}</span>
      </h2>
      <ol class="events" aria-live="polite" aria-label="Operation events" tabIndex={0}>
        {lines.map((line) => (
          <li key={line.id} class={line.failed ? "failed" : undefined}>
            {line.text}
          </li>
        ))}
        {!final && !error && <li class="muted">waiting for the next event…</li>}
      </ol>
      {error && (
        <div class="alert" role="alert">
          {error}
        </div>
      )}
      {final?.status === "failed" && (
        <div class="alert" role="alert">
          {final.message ?? "The operation failed."}
        </div>
      )}
      {final?.status === "succeeded" && (
        <p class="ok" role="status">
          Done.{" "}
          {url && (
            <>
              The app answers at{" "}
              <a href={url} rel="noreferrer noopener" target="_blank" data-testid="app-url">
                {url}
              </a>
            </>
          )}
        </p>
      )}
    </section>
  );
}
