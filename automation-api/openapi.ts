import {
  extendZodWithOpenApi,
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  type RouteConfig,
} from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { CLAIM_KIND_NAMES, CLAIM_KINDS } from "../spec/claim-kinds.js";
import {
  ItemBodies,
  Me,
  MergePatch,
  NewToken,
  Operation,
  Problem,
  Project,
  ProjectBody,
  ProjectTokenBody,
  Quota,
  QuotaQuery,
  Token,
  TokenBody,
  User,
  UserBody,
  UserPatch,
  Zone,
} from "./http/schemas.js";
import { EventPageQuery, PageQuery } from "./http/pagination.js";
import {
  CredentialReveal,
  RegistryCredentialBody,
  RegistryEntry,
  RevealedCredentials,
  SecretEnvEntry,
  SecretValueBody,
} from "./http/secret-schemas.js";
import { registerDomainPaths } from "./openapi-domains.js";
import { registerRuntimePaths } from "./openapi-runtime.js";
import { registerSessionPaths } from "./openapi-session.js";

type Responses = RouteConfig["responses"];

type WithOpenApi = { openapi(refId: string): z.ZodType };

/**
 * Registers a schema as a named component. The request schemas are built before zod is
 * extended for OpenAPI (it is extended only here, not at import time), so the extension's
 * method is applied from the prototype.
 */
function register<T extends z.ZodType>(registry: OpenAPIRegistry, refId: string, schema: T): z.ZodType {
  const openapi = (z.ZodType.prototype as unknown as WithOpenApi).openapi;
  return registry.register(refId, openapi.call(schema, refId));
}

/**
 * The OpenAPI 3.1 document of the REST API, generated from the same zod schemas the routes
 * validate with, so the two cannot drift apart.
 */
export function openApiDocument(): ReturnType<OpenApiGeneratorV31["generateDocument"]> {
  extendZodWithOpenApi(z);
  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description:
      "A pluskube token, `pk_` followed by 43 characters. Revoked or expired tokens, and tokens of a disabled user, get 401",
  });

  const problem = register(registry, "Problem", Problem);
  const operation = register(registry, "Operation", Operation);
  const project = register(registry, "Project", Project);
  const user = register(registry, "User", User);
  const token = register(registry, "Token", Token);
  const newToken = register(registry, "NewToken", NewToken);

  const json = (schema: z.ZodType, description: string) => ({
    description,
    content: { "application/json": { schema } },
  });
  const problems = (...statuses: number[]): Responses =>
    Object.fromEntries(
      [401, 429, ...statuses].map((status) => [
        String(status),
        {
          description: PROBLEM_DESCRIPTIONS[status] ?? "Problem",
          content: { "application/problem+json": { schema: problem } },
        },
      ]),
    );
  const acceptedResponse = { "202": json(operation, "Accepted: the operation that carries the change out") };
  // Every list comes in pages (http/pagination.ts): `next` is the link to the following page.
  const list = (schema: z.ZodType) =>
    z.object({
      items: z.array(schema),
      next: z.string().nullable().describe("Path of the next page; null on the last page"),
    });
  const body = (schema: z.ZodType, type = "application/json") => ({
    content: { [type]: { schema } },
    required: true,
  });
  const params = (...names: string[]) =>
    z.object(Object.fromEntries(names.map((name) => [name, z.string()])));

  const route = (config: RouteConfig) => registry.registerPath({ security: [{ bearer: [] }], ...config });

  route({
    method: "get",
    path: "/v1/me",
    tags: ["users"],
    summary: "The caller's user and token",
    responses: { "200": json(Me, "The caller"), ...problems() },
  });
  route({
    method: "post",
    path: "/v1/users",
    tags: ["users"],
    summary: "Create a user (administrators)",
    request: { body: body(UserBody) },
    responses: { "201": json(user, "Created"), ...problems(400, 403, 409, 413) },
  });
  route({
    method: "get",
    path: "/v1/users",
    tags: ["users"],
    summary: "List users (administrators)",
    request: { query: PageQuery },
    responses: { "200": json(list(user), "Users"), ...problems(400, 403) },
  });
  route({
    method: "get",
    path: "/v1/users/{user}",
    tags: ["users"],
    summary: "A user (administrators, or the user)",
    request: { params: params("user") },
    responses: { "200": json(user, "The user"), ...problems(404) },
  });
  route({
    method: "patch",
    path: "/v1/users/{user}",
    tags: ["users"],
    summary:
      "Set a user's fair-share weight, or disable them (every token stops at once, projects stay) and enable them again (administrators)",
    request: { params: params("user"), body: body(UserPatch) },
    responses: { "200": json(user, "The user"), ...problems(400, 403, 404) },
  });
  route({
    method: "post",
    path: "/v1/users/{user}/tokens",
    tags: ["users"],
    summary: "Create a user token; the token is shown only in this answer",
    request: { params: params("user"), body: body(TokenBody) },
    responses: { "201": json(newToken, "Created"), ...problems(400, 403, 404) },
  });
  route({
    method: "get",
    path: "/v1/users/{user}/tokens",
    tags: ["users"],
    summary: "List a user's tokens (never the tokens themselves)",
    request: { query: PageQuery, params: params("user") },
    responses: { "200": json(list(token), "Tokens"), ...problems(400, 403, 404) },
  });
  route({
    method: "get",
    path: "/v1/users/{user}/project-tokens",
    tags: ["users"],
    summary:
      "List the project tokens of all the user's projects, each with its project (the user, or an administrator)",
    request: { query: PageQuery, params: params("user") },
    responses: { "200": json(list(token), "Project tokens"), ...problems(400, 403, 404) },
  });
  route({
    method: "delete",
    path: "/v1/users/{user}/tokens/{token}",
    tags: ["users"],
    summary: "Revoke one of the user's tokens, user or project token (the user, or an administrator)",
    request: { params: params("user", "token") },
    responses: { "204": { description: "Revoked (or never existed)" }, ...problems(403, 404) },
  });

  route({
    method: "get",
    path: "/v1/zones",
    tags: ["zones"],
    summary: "The zones projects can live in",
    request: { query: PageQuery },
    responses: { "200": json(list(Zone), "Zones"), ...problems(400) },
  });
  route({
    method: "get",
    path: "/v1/quota",
    tags: ["zones"],
    summary: "The caller's fair share of a zone, their usage and what is free, per kind",
    request: { query: QuotaQuery },
    responses: { "200": json(Quota, "Quota"), ...problems(400, 403) },
  });

  route({
    method: "get",
    path: "/v1/projects",
    tags: ["projects"],
    summary: "List the caller's projects",
    request: { query: PageQuery },
    responses: { "200": json(list(project), "Projects"), ...problems(400) },
  });
  route({
    method: "put",
    path: "/v1/projects/{project}",
    tags: ["projects"],
    summary:
      "Create a project in a zone (its namespace), or change its settings (user tokens only; a deploy token gets 403)",
    description:
      "A new project's name must not be a namespace that already exists in the zone: its namespace is created for it, never taken over (409 `namespace-exists`).",
    request: { params: params("project"), body: body(ProjectBody) },
    responses: { ...acceptedResponse, ...problems(400, 403, 404, 409, 413, 422, 503) },
  });
  route({
    method: "get",
    path: "/v1/projects/{project}",
    tags: ["projects"],
    summary: "A project",
    request: { params: params("project") },
    responses: { "200": json(project, "The project"), ...problems(404) },
  });
  route({
    method: "delete",
    path: "/v1/projects/{project}",
    tags: ["projects"],
    summary: "Destroy everything of a project, then the project (user tokens only; a deploy token gets 403)",
    request: { params: params("project") },
    responses: {
      ...acceptedResponse,
      "204": { description: "There was no such project" },
      ...problems(403, 404),
    },
  });
  route({
    method: "get",
    path: "/v1/projects/{project}/operations",
    tags: ["projects"],
    summary: "A project's operations, newest first; finished ones are kept for the retention period",
    request: { query: PageQuery, params: params("project") },
    responses: { "200": json(list(operation), "Operations"), ...problems(400, 404) },
  });

  for (const collection of CLAIM_KIND_NAMES) {
    const singular = CLAIM_KINDS[collection].singular;
    const item = register(registry, `${capitalise(singular)}Spec`, CLAIM_KINDS[collection].schema);
    const itemBody = register(registry, `${capitalise(singular)}Body`, ItemBodies[collection]);
    const tags = [collection];
    const base = `/v1/projects/{project}/${collection}`;
    route({
      method: "get",
      path: base,
      tags,
      summary: `List the project's ${collection}`,
      request: { query: PageQuery, params: params("project") },
      responses: { "200": json(list(item), capitalise(collection)), ...problems(400, 404) },
    });
    route({
      method: "get",
      path: `${base}/{name}`,
      tags,
      summary: `${capitalise(article(singular))} ${singular}'s desired state and what its last run reported`,
      request: { params: params("project", "name") },
      responses: { "200": json(item, capitalise(singular)), ...problems(404) },
    });
    route({
      method: "put",
      path: `${base}/{name}`,
      tags,
      summary: `Set ${article(singular)} ${singular}'s desired state (create or replace)`,
      request: { params: params("project", "name"), body: body(itemBody) },
      responses: { ...acceptedResponse, ...problems(400, 403, 404, 409, 413, 422) },
    });
    route({
      method: "patch",
      path: `${base}/{name}`,
      tags,
      summary: `Change some fields of ${article(singular)} ${singular} (JSON merge patch; null resets a field)`,
      request: { params: params("project", "name"), body: body(MergePatch, "application/merge-patch+json") },
      responses: { ...acceptedResponse, ...problems(400, 403, 404, 409, 413, 422) },
    });
    route({
      method: "delete",
      path: `${base}/{name}`,
      tags,
      summary: `Remove ${article(singular)} ${singular}${collection === "volumes" ? " (refused while an app mounts it)" : ""}`,
      request: { params: params("project", "name") },
      responses: {
        ...acceptedResponse,
        "204": { description: `There was no such ${singular}` },
        ...problems(403, 404, 409),
      },
    });
  }

  route({
    method: "post",
    path: "/v1/projects/{project}/tokens",
    tags: ["projects"],
    summary: "Create a project token (read or deploy); shown only in this answer",
    request: { params: params("project"), body: body(ProjectTokenBody) },
    responses: { "201": json(newToken, "Created"), ...problems(400, 403, 404) },
  });
  route({
    method: "get",
    path: "/v1/projects/{project}/tokens",
    tags: ["projects"],
    summary: "List a project's tokens",
    request: { query: PageQuery, params: params("project") },
    responses: { "200": json(list(token), "Tokens"), ...problems(400, 403, 404) },
  });
  route({
    method: "delete",
    path: "/v1/projects/{project}/tokens/{token}",
    tags: ["projects"],
    summary: "Revoke a project token",
    request: { params: params("project", "token") },
    responses: { "204": { description: "Revoked (or never existed)" }, ...problems(403, 404) },
  });

  for (const [collection, singular] of [
    ["databases", "database"],
    ["buckets", "bucket"],
  ] as const) {
    route({
      method: "post",
      path: `/v1/projects/{project}/${collection}/{name}/credentials`,
      tags: [collection],
      summary: `Reveal ${article(singular)} ${singular}'s credentials as its Secret in the zone holds them now (user tokens only: project tokens get 403); recorded under credential-reveals`,
      request: { params: params("project", "name") },
      responses: {
        "200": json(RevealedCredentials, "The credentials; never cached (Cache-Control: no-store)"),
        ...problems(403, 404, 409, 503),
      },
    });
  }
  route({
    method: "get",
    path: "/v1/projects/{project}/apps/{app}/secret-env",
    tags: ["apps"],
    summary: "An app's secret variables: names and when each was set, never values",
    request: { query: PageQuery, params: params("project", "app") },
    responses: { "200": json(list(SecretEnvEntry), "Secret variables"), ...problems(400, 404) },
  });
  route({
    method: "put",
    path: "/v1/projects/{project}/apps/{app}/secret-env/{name}",
    tags: ["apps"],
    summary:
      "Set a secret variable (write-only, sealed at rest, delivered as a Secret); rolls the app out. User or deploy tokens",
    request: { params: params("project", "app", "name"), body: body(SecretValueBody) },
    responses: { ...acceptedResponse, ...problems(400, 403, 404, 409, 413, 503) },
  });
  route({
    method: "delete",
    path: "/v1/projects/{project}/apps/{app}/secret-env/{name}",
    tags: ["apps"],
    summary: "Delete a secret variable; rolls the app out",
    request: { params: params("project", "app", "name") },
    responses: {
      ...acceptedResponse,
      "204": { description: "There was no such variable" },
      ...problems(403, 404, 409),
    },
  });
  route({
    method: "get",
    path: "/v1/projects/{project}/registries",
    tags: ["projects"],
    summary:
      "The private registries the project has credentials for, and when each was set; never the credentials",
    request: { query: PageQuery, params: params("project") },
    responses: { "200": json(list(RegistryEntry), "Registries"), ...problems(400, 404) },
  });
  route({
    method: "put",
    path: "/v1/projects/{project}/registries/{server}",
    tags: ["projects"],
    summary:
      "Set a private registry's credentials (write-only, sealed at rest), which every app pulls its image with; the owner's user token only. Rolls the apps out",
    request: { params: params("project", "server"), body: body(RegistryCredentialBody) },
    responses: { ...acceptedResponse, ...problems(400, 403, 404, 409, 413, 422, 503) },
  });
  route({
    method: "delete",
    path: "/v1/projects/{project}/registries/{server}",
    tags: ["projects"],
    summary: "Delete a private registry's credentials; the owner's user token only",
    request: { params: params("project", "server") },
    responses: {
      ...acceptedResponse,
      "204": { description: "There were no such credentials" },
      ...problems(403, 404, 409),
    },
  });
  route({
    method: "get",
    path: "/v1/projects/{project}/credential-reveals",
    tags: ["projects"],
    summary: "Who revealed which database's or bucket's credentials and when, oldest first",
    request: { query: PageQuery, params: params("project") },
    responses: { "200": json(list(CredentialReveal), "Reveals"), ...problems(400, 404) },
  });

  route({
    method: "get",
    path: "/v1/operations/{id}",
    tags: ["operations"],
    summary: "An operation's status and a page of its engine events, oldest first",
    request: { query: EventPageQuery, params: params("id") },
    responses: { "200": json(operation, "The operation"), ...problems(400, 404) },
  });
  route({
    method: "get",
    path: "/v1/operations/{id}/events",
    tags: ["operations"],
    summary:
      "Server-sent events of an operation: stored events, then new ones until it is done; a few open streams per token (429 beyond); ends with `unauthorized` when the token is revoked or expires",
    request: { params: params("id") },
    responses: {
      "200": {
        description: "An event stream; the last event is `done` with the final operation",
        content: { "text/event-stream": { schema: z.string() } },
      },
      ...problems(404),
    },
  });

  registerRuntimePaths({ route, json, problems, params });
  registerDomainPaths({ route, json, problems, params });
  registerSessionPaths({ route, json, problems });

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "pluskube",
      version: "1",
      description:
        "Managed containers, Postgres databases, S3 buckets and volumes on community-pooled Kubernetes zones. " +
        "Changes answer 202 with an operation; errors are application/problem+json.",
    },
    servers: [{ url: "/" }],
  });
}

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: "The body or a parameter does not validate; `errors` names each field",
  401: "Missing, malformed, unknown, revoked or expired token, or a disabled user",
  403: "The token may not do this",
  404: "No such thing, or not yours",
  409:
    "Conflict: quota exceeded (with used, share, asked); zone full (within the share but beyond what the zone has free now, with zoneFree); " +
    "a zone limit reached (projects per member, items per project: with limit, allowed, current); name taken; namespace already exists in the zone (`namespace-exists`: a project's namespace is created for it, never taken over); volume in use; project being deleted; credentials asked of a claim not yet deployed",
  413: "The body is larger than the limit",
  422:
    "A well-formed value the zone does not take: a quantity too large to count, a size below the zone's smallest, a connection limit above the zone's (`beyond-limit`), " +
    "an image from a registry named by an address (IP literal, localhost, link-local) the zone does not allow (`registry-not-allowed`); `errors` names each field",
  426: "The endpoint is a WebSocket and the request asked for no upgrade (`upgrade-required`)",
  429: "Too many requests for this token, too many failed authentications from this address, or too many open event streams",
  501: "The zone does not offer this view (`not-available-in-zone`), such as metrics where it serves no metrics API",
  502: "The cluster could not reach the pod (`pod-unreachable`): its node's kubelet did not serve it",
  503: "The zone's cluster could not be reached to check the request (`zone-unreachable`); nothing was changed. Or the service has no secrets key and stores no secret values (`secrets-disabled`)",
};

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? "an" : "a";
}
