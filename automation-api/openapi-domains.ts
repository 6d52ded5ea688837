import { CustomDomain } from "./http/domain-schemas.js";
import { PageQuery } from "./http/pagination.js";
import { Operation } from "./http/schemas.js";
import type { PathTools } from "./openapi-runtime.js";
import { z } from "zod";

/** The paths of a project's custom domains and their DNS verification. */
export function registerDomainPaths({ route, json, problems, params }: PathTools): void {
  const one = params("project", "domain");
  const list = z.object({
    items: z.array(CustomDomain),
    next: z.string().nullable().describe("Path of the next page; null on the last page"),
  });
  route({
    method: "get",
    path: "/v1/projects/{project}/domains",
    tags: ["domains"],
    summary: "The project's custom domains: each one's state and the TXT record that verifies it",
    request: { query: PageQuery, params: params("project") },
    responses: { "200": json(list, "Custom domains"), ...problems(400, 404) },
  });
  route({
    method: "get",
    path: "/v1/projects/{project}/domains/{domain}",
    tags: ["domains"],
    summary: "One custom domain: its state, the record to publish, what the last look found",
    request: { params: one },
    responses: { "200": json(CustomDomain, "The domain"), ...problems(400, 404) },
  });
  route({
    method: "put",
    path: "/v1/projects/{project}/domains/{domain}",
    tags: ["domains"],
    summary:
      "Add a custom domain (shop.example.org, or *.example.org for every name under example.org), waiting for its TXT record; idempotent. The owner's user token only",
    description:
      "Publish the answer's `record` (TXT `_pluskube-challenge.<domain>` = `pluskube-verification=<token>`), then verify. " +
      "409 `domain-taken`: it, or a name it covers, is verified for another project of the zone. " +
      "422 `domain-not-claimable`: it reaches into the zone's own base domain.",
    request: { params: one },
    responses: {
      "201": json(CustomDomain, "Added"),
      "200": json(CustomDomain, "The project had it already"),
      ...problems(400, 403, 404, 409, 422),
    },
  });
  route({
    method: "post",
    path: "/v1/projects/{project}/domains/{domain}/verify",
    tags: ["domains"],
    summary:
      "Look the domain's TXT record up now; once verified, apps may use it (and, for a wildcard, the names under it). The owner's user token only",
    description:
      "The service also looks at every domain periodically: a waiting domain whose record is out becomes verified, and a verified domain whose record is gone lapses (its hosts are removed from the apps, by an operation of the project). " +
      "422 `domain-unverified`: the record was not found, with what was found and the record to publish. 409 `domain-taken`: another project of the zone holds it.",
    request: { params: one },
    responses: { "200": json(CustomDomain, "Verified"), ...problems(400, 403, 404, 409, 422) },
  });
  route({
    method: "delete",
    path: "/v1/projects/{project}/domains/{domain}",
    tags: ["domains"],
    summary:
      "Remove a custom domain. A verified one takes its hosts out of the apps that use it (their Ingress rules go): 202 with the operation that rolls that out. The owner's user token only",
    request: { params: one },
    responses: {
      "202": json(Operation, "Accepted: the operation that removes the domain's hosts"),
      "204": { description: "Removed with nothing to roll out, or there was no such domain" },
      ...problems(403, 404, 409),
    },
  });
}
