import { Router, type Request } from "express";
import { DOMAIN_CLAIM_MESSAGE, isDomainClaim, normalizeClaim } from "../../../spec/domains.js";
import { CustomDomains, hostsUnder, type DomainView } from "../../domain/custom-domains.js";
import { ValidationError } from "../../domain/errors.js";
import { principalOf } from "../auth.js";
import type { RouteContext } from "../context.js";
import { pageOf, pageRequest, presentPage } from "../pagination.js";
import { operationLinks } from "../present.js";
import { param } from "../validate.js";
import { accepted } from "./projects.js";

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** The domain from the path, in any case and with or without the root's dot. */
function domainParam(req: Request): string {
  const domain = normalizeClaim(param(req, "domain"));
  if (!isDomainClaim(domain)) throw new ValidationError([{ path: "domain", message: DOMAIN_CLAIM_MESSAGE }]);
  return domain;
}

export function presentDomain({ project, row, record, operation }: DomainView) {
  const self = `/v1/projects/${project.name}/domains/${row.domain}`;
  return {
    domain: row.domain,
    state: row.state,
    record,
    hosts: hostsUnder(project.spec, row.domain),
    problem: row.problem,
    missedChecks: row.missedChecks,
    createdAt: row.createdAt.toISOString(),
    checkedAt: iso(row.checkedAt),
    nextCheckAt: row.nextCheckAt.toISOString(),
    verifiedAt: iso(row.verifiedAt),
    lapsedAt: iso(row.lapsedAt),
    ...(operation ? { operation: { id: operation.id, links: operationLinks(operation) } } : {}),
    links: { self, verify: `${self}/verify`, project: `/v1/projects/${project.name}` },
  };
}

/**
 * `/projects/{project}/domains[/{domain}[/verify]]`: custom domains and their DNS verification.
 * Anyone who reaches the project reads them; adding, verifying and removing are project
 * settings, for the owner's user token only.
 */
export function domainRoutes({ store, zones, jobs }: RouteContext): Router {
  const router = Router();
  const domains = new CustomDomains(store, zones, jobs);

  router.get("/projects/:project/domains", async (req, res) => {
    const views = await domains.list(principalOf(res), param(req, "project"));
    const page = pageOf(views, (view) => view.row.domain, pageRequest(req, "domains"));
    res.json(presentPage(page, presentDomain));
  });

  router.get("/projects/:project/domains/:domain", async (req, res) => {
    res.json(presentDomain(await domains.get(principalOf(res), param(req, "project"), domainParam(req))));
  });

  router.put("/projects/:project/domains/:domain", async (req, res) => {
    const added = await domains.add(principalOf(res), param(req, "project"), domainParam(req));
    res.status(added.created ? 201 : 200).json(presentDomain(added));
  });

  router.post("/projects/:project/domains/:domain/verify", async (req, res) => {
    res.json(presentDomain(await domains.verify(principalOf(res), param(req, "project"), domainParam(req))));
  });

  router.delete("/projects/:project/domains/:domain", async (req, res) => {
    const result = await domains.remove(principalOf(res), param(req, "project"), domainParam(req));
    if (result) accepted(res, result);
    else res.status(204).end();
  });

  return router;
}
