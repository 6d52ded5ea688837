import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { z } from "zod";
import { BucketSpecSchema, DatabaseSpecSchema, VolumeSpecSchema } from "../../../spec/items.js";
import { getJson, sendJson, seg, type Operation } from "../api.js";
import { apiIssues, FormError, TextField, zodIssues, type Issues } from "../parts/form.js";
import { Link, navigate } from "../router.js";

/** The kinds this page makes and resizes, each with the API's own schema and its size field. */
const KINDS = {
  databases: {
    one: "database",
    schema: DatabaseSpecSchema as z.ZodType,
    size: "sizeGB",
    hint: "Size in GB, such as 1",
  },
  buckets: {
    one: "bucket",
    schema: BucketSpecSchema as z.ZodType,
    size: "sizeGB",
    hint: "Size in GB, such as 5",
  },
  volumes: { one: "volume", schema: VolumeSpecSchema as z.ZodType, size: "size", hint: "Such as 1Gi" },
} as const;

export type ClaimKind = keyof typeof KINDS;

/** Creates a database, bucket or volume, or resizes one; credentials are shown only on request. */
export function ClaimPage(props: { project: string; kind: ClaimKind; name?: string }): JSX.Element {
  const kind = KINDS[props.kind];
  const p = seg(props.project);
  const [name, setName] = useState(props.name ?? "");
  const [size, setSize] = useState("");
  const [issues, setIssues] = useState<Issues>({});
  const [credentials, setCredentials] = useState<Record<string, unknown> | undefined>();
  const editing = props.name !== undefined;

  useEffect(() => {
    if (!props.name) return;
    getJson<Record<string, unknown>>(`/v1/projects/${p}/${props.kind}/${seg(props.name)}`)
      .then((item) => setSize(String(item[kind.size] ?? "")))
      .catch((error: unknown) => setIssues(apiIssues(error)));
  }, [props.project, props.kind, props.name]);

  const submit = async (event: Event) => {
    event.preventDefault();
    const sizeValue =
      kind.size === "sizeGB" && /^\d+(\.\d+)?$/.test(size.trim()) ? Number(size) : size.trim();
    const spec = { name, [kind.size]: sizeValue };
    const checked = kind.schema.safeParse(spec);
    if (!checked.success) {
      setIssues(zodIssues(checked.error));
      return;
    }
    try {
      const operation = await sendJson<Operation>("PUT", `/v1/projects/${p}/${props.kind}/${seg(name)}`, {
        [kind.size]: sizeValue,
      });
      navigate(`/operations/${operation?.id ?? ""}?project=${encodeURIComponent(props.project)}`);
    } catch (error) {
      setIssues(apiIssues(error));
    }
  };

  const reveal = async () => {
    try {
      setCredentials(
        await sendJson<Record<string, unknown>>(
          "POST",
          `/v1/projects/${p}/${props.kind}/${seg(props.name ?? "")}/credentials`,
        ),
      );
    } catch (error) {
      setIssues(apiIssues(error));
    }
  };

  return (
    <main id="main" class="narrow">
      <nav aria-label="Breadcrumb" class="crumbs">
        <Link href="/">Projects</Link> / <Link href={`/projects/${p}`}>{props.project}</Link> /{" "}
        <span aria-current="page">{editing ? props.name : `New ${kind.one}`}</span>
      </nav>
      <h1>{editing ? `${kind.one} ${props.name ?? ""}` : `New ${kind.one}`}</h1>
      <form class="card" onSubmit={submit} noValidate>
        <FormError issues={issues} />
        {!editing && (
          <TextField id="name" label="Name" value={name} onInput={setName} error={issues["name"]} required />
        )}
        <TextField
          id="size"
          label="Size"
          hint={kind.hint}
          value={size}
          onInput={setSize}
          error={issues[kind.size]}
          required
        />
        <button type="submit" class="primary">
          {editing ? "Resize" : `Create ${kind.one}`}
        </button>
      </form>
      {editing && props.kind !== "volumes" && (
        <section class="card" aria-labelledby="conn-title">
          <h2 id="conn-title">Connection details</h2>
          {credentials ? (
            <dl class="pairs">
              {Object.entries(credentials).map(([key, value]) => (
                <div key={key}>
                  <dt>{key}</dt>
                  <dd>
                    <code>{typeof value === "string" ? value : JSON.stringify(value)}</code>
                  </dd>
                </div>
              ))}
            </dl>
          ) : (
            <button type="button" onClick={() => void reveal()}>
              Reveal credentials
            </button>
          )}
        </section>
      )}
    </main>
  );
}
