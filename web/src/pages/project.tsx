import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { getJson, send, sendJson, seg, type Item, type Operation, type Page, type Token } from "../api.js";
import { apiIssues, FormError, TextField, type Issues } from "../parts/form.js";
import { Link, navigate } from "../router.js";
import { useData } from "../use-data.js";

type Named = {
  readonly name: string;
  readonly sizeGB?: number;
  readonly size?: string;
  readonly image?: string;
};

const CLAIMS = [
  { kind: "databases", one: "database", size: (item: Named) => `${item.sizeGB ?? "?"} GB` },
  { kind: "buckets", one: "bucket", size: (item: Named) => `${item.sizeGB ?? "?"} GB` },
  { kind: "volumes", one: "volume", size: (item: Named) => item.size ?? "" },
] as const;

/** A project's tokens: made here (the token shown once), revoked here. */
function Tokens(props: { project: string }): JSX.Element {
  const tokens = useData(
    (signal) => getJson<Page<Token>>(`/v1/projects/${seg(props.project)}/tokens`, signal),
    [props.project],
  );
  const [name, setName] = useState("");
  const [scope, setScope] = useState<"deploy" | "read">("deploy");
  const [issues, setIssues] = useState<Issues>({});
  const [created, setCreated] = useState<string | undefined>();

  const create = async (event: Event) => {
    event.preventDefault();
    if (!name.trim()) {
      setIssues({ name: "give the token a name, such as ci" });
      return;
    }
    try {
      const token = await sendJson<{ token: string }>("POST", `/v1/projects/${seg(props.project)}/tokens`, {
        name: name.trim(),
        scope,
      });
      setCreated(token?.token);
      setName("");
      setIssues({});
      tokens.reload();
    } catch (error) {
      setIssues(apiIssues(error));
    }
  };
  const revoke = async (token: Token) => {
    if (!window.confirm(`Revoke token ${token.name}? Whatever uses it stops working.`)) return;
    try {
      await send("DELETE", `/v1/projects/${seg(props.project)}/tokens/${seg(token.id)}`);
      tokens.reload();
    } catch (error) {
      setIssues(apiIssues(error));
    }
  };
  const live = tokens.data?.items.filter((token) => !token.revokedAt) ?? [];

  return (
    <section class="card" aria-labelledby="tokens-title">
      <h2 id="tokens-title">Project tokens</h2>
      {created && (
        <div class="reveal" role="status">
          <p>New token, shown only now. Copy it somewhere safe:</p>
          <code data-testid="new-token">{created}</code>
          <button type="button" onClick={() => setCreated(undefined)}>
            I have copied it
          </button>
        </div>
      )}
      {live.length === 0 ? (
        <p class="muted">No project tokens.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Scope</th>
              <th scope="col">Starts with</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {live.map((token) => (
              <tr key={token.id}>
                <td>{token.name}</td>
                <td>{token.scope}</td>
                <td>
                  <code>{token.prefix}…</code>
                </td>
                <td>{token.lastUsedAt ? new Date(token.lastUsedAt).toLocaleString() : "never"}</td>
                <td>
                  <button type="button" class="danger" onClick={() => void revoke(token)}>
                    Revoke<span class="sr-only"> {token.name}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form onSubmit={create} noValidate class="inline-form">
        <FormError issues={issues} />
        <TextField id="token-name" label="Token name" value={name} onInput={setName} error={issues["name"]} />
        <div class="field">
          <label for="token-scope">Scope</label>
          <select
            id="token-scope"
            value={scope}
            onChange={(e) => setScope((e.target as HTMLSelectElement).value as "deploy" | "read")}
          >
            <option value="deploy">deploy (change the project)</option>
            <option value="read">read (look only)</option>
          </select>
        </div>
        <button type="submit">Create token</button>
      </form>
    </section>
  );
}

/** A project: its apps, databases, buckets and volumes, its tokens, and deleting it. */
export function ProjectPage(props: { project: string }): JSX.Element {
  const p = seg(props.project);
  const lists = useData(
    async (signal) => {
      const [apps, databases, buckets, volumes] = await Promise.all(
        ["apps", "databases", "buckets", "volumes"].map((kind) =>
          getJson<Page<Item<Named>>>(`/v1/projects/${p}/${kind}`, signal),
        ),
      );
      return { apps, databases, buckets, volumes } as Record<string, Page<Item<Named>>>;
    },
    [props.project],
  );
  const [error, setError] = useState<string | undefined>();
  const remove = async () => {
    if (!window.confirm(`Delete project ${props.project} and everything in it?`)) return;
    try {
      const operation = await sendJson<Operation>("DELETE", `/v1/projects/${p}`);
      navigate(`/operations/${operation?.id ?? ""}`);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };

  return (
    <main id="main">
      <nav aria-label="Breadcrumb" class="crumbs">
        <Link href="/">Projects</Link> / <span aria-current="page">{props.project}</span>
      </nav>
      <h1>{props.project}</h1>
      {lists.error && <p class="error">{lists.error}</p>}
      <section class="card" aria-labelledby="apps-title">
        <div class="row">
          <h2 id="apps-title">Apps</h2>
          <Link class="button primary" href={`/projects/${p}/apps/new`}>
            Deploy an app
          </Link>
        </div>
        {lists.data?.["apps"]?.items.length === 0 && <p class="muted">No apps yet.</p>}
        <ul class="list">
          {lists.data?.["apps"]?.items.map((app) => (
            <li key={app.name}>
              <Link href={`/projects/${p}/apps/${seg(app.name)}`}>{app.name}</Link>
              <span class="muted"> {app.image}</span>
              {app.outputs?.url && (
                <a class="url" href={app.outputs.url} rel="noreferrer noopener" target="_blank">
                  {app.outputs.url}
                </a>
              )}
            </li>
          ))}
        </ul>
      </section>
      <div class="tiles">
        {CLAIMS.map((claim) => (
          <section class="card" key={claim.kind} aria-labelledby={`${claim.kind}-title`}>
            <div class="row">
              <h2 id={`${claim.kind}-title`}>{claim.kind[0]?.toUpperCase() + claim.kind.slice(1)}</h2>
              <Link class="button" href={`/projects/${p}/${claim.kind}/new`}>
                New {claim.one}
              </Link>
            </div>
            <ul class="list">
              {lists.data?.[claim.kind]?.items.map((item) => (
                <li key={item.name}>
                  <Link href={`/projects/${p}/${claim.kind}/${seg(item.name)}`}>{item.name}</Link>
                  <span class="muted"> {claim.size(item)}</span>
                </li>
              ))}
            </ul>
            {lists.data?.[claim.kind]?.items.length === 0 && <p class="muted">None.</p>}
          </section>
        ))}
      </div>
      <Tokens project={props.project} />
      <section class="card danger-zone" aria-labelledby="delete-title">
        <h2 id="delete-title">Delete the project</h2>
        <p class="muted">Deletes its apps, databases, buckets and volumes with their data.</p>
        {error && <p class="error">{error}</p>}
        <button type="button" class="danger" onClick={() => void remove()}>
          Delete {props.project}
        </button>
      </section>
    </main>
  );
}
