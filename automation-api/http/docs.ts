import type { RequestHandler } from "express";

/** Just enough of an OpenAPI document to render it. */
interface Document {
  readonly info: { readonly title: string; readonly version: string; readonly description?: string };
  readonly paths?: Record<string, Record<string, OperationObject>>;
  readonly components?: { readonly schemas?: Record<string, unknown> };
}

interface OperationObject {
  readonly summary?: string;
  readonly tags?: readonly string[];
  readonly parameters?: readonly { readonly name: string; readonly in: string }[];
  readonly requestBody?: { readonly content?: Record<string, { readonly schema?: unknown }> };
  readonly responses?: Record<
    string,
    { readonly description?: string; readonly content?: Record<string, { readonly schema?: unknown }> }
  >;
}

const METHODS = ["get", "put", "post", "patch", "delete"] as const;

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function schemaName(schema: unknown): string {
  if (typeof schema === "object" && schema !== null && "$ref" in schema) {
    const ref =
      String((schema as { $ref: string }).$ref)
        .split("/")
        .pop() ?? "";
    return `<a href="#schema-${escape(ref)}">${escape(ref)}</a>`;
  }
  return "<code>object</code>";
}

function contentOf(content: Record<string, { readonly schema?: unknown }> | undefined): string {
  if (!content) return "";
  return Object.entries(content)
    .map(([type, media]) => `${schemaName(media.schema)} <span class="type">${escape(type)}</span>`)
    .join(", ");
}

/**
 * The docs page: the OpenAPI document rendered on the server as plain HTML, with no script and
 * nothing fetched from elsewhere (the service may run without internet access).
 */
export function renderDocs(document: Document): string {
  const byTag = new Map<string, string[]>();
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const tag = operation.tags?.[0] ?? "other";
      const params = (operation.parameters ?? [])
        .map((p) => `<code>${escape(p.name)}</code> (${escape(p.in)})`)
        .join(", ");
      const responses = Object.entries(operation.responses ?? {})
        .map(
          ([status, response]) =>
            `<li><b>${escape(status)}</b> ${escape(response.description ?? "")} ${contentOf(response.content)}</li>`,
        )
        .join("");
      const html = `<details class="op"><summary><span class="m ${method}">${method.toUpperCase()}</span> <code>${escape(path)}</code> — ${escape(operation.summary ?? "")}</summary>
${params ? `<p>Parameters: ${params}</p>` : ""}
${operation.requestBody ? `<p>Body: ${contentOf(operation.requestBody.content)}</p>` : ""}
<ul>${responses}</ul></details>`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), html]);
    }
  }
  const sections = [...byTag.entries()]
    .map(([tag, operations]) => `<h2 id="tag-${escape(tag)}">${escape(tag)}</h2>${operations.join("\n")}`)
    .join("\n");
  const schemas = Object.entries(document.components?.schemas ?? {})
    .map(
      ([name, schema]) =>
        `<details id="schema-${escape(name)}"><summary><code>${escape(name)}</code></summary><pre>${escape(JSON.stringify(schema, null, 2))}</pre></details>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(document.info.title)} API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
code,pre{font:13px ui-monospace,monospace}pre{background:#f4f5f7;padding:.75rem;overflow:auto}
details.op{border:1px solid #dde1e8;border-radius:6px;margin:.4rem 0;padding:.3rem .6rem}
summary{cursor:pointer}.m{display:inline-block;width:4.2rem;font-weight:600}
.get{color:#1b6ac9}.put{color:#a05a00}.post{color:#16803c}.patch{color:#7b3fb0}.delete{color:#b42318}
.type{color:#667085;font-size:12px}
</style></head><body>
<h1>${escape(document.info.title)} API <small>v${escape(document.info.version)}</small></h1>
<p>${escape(document.info.description ?? "")}</p>
<p>Authenticate with <code>Authorization: Bearer pk_…</code>. The machine-readable document is at <a href="/openapi.json">/openapi.json</a>.</p>
${sections}
<h2 id="schemas">Schemas</h2>
${schemas}
</body></html>`;
}

/** Serves the rendered page of an OpenAPI document (such as the generator's `OpenAPIObject`). */
export function docsRoute(document: object): RequestHandler {
  const html = renderDocs(document as Document);
  return (_req, res) => {
    res.type("html").send(html);
  };
}
