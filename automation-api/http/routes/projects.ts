import { Router, type Response } from "express";
import { projectOf, reachable, type Principal } from "../../domain/authz.js";
import type { Accepted } from "../../domain/project-requests.js";
import { principalOf } from "../auth.js";
import type { RouteContext } from "../context.js";
import { operationLinks, presentOperation, presentProject } from "../present.js";
import { ProjectBody } from "../schemas.js";
import { UUID_PATTERN } from "../../store/store.js";
import { pageOf, pageRequest, presentPage } from "../pagination.js";
import { bodyOf, nameParam, param } from "../validate.js";
import { ReconcileRows } from "../../store/reconciles.js";
import { presentReconcile } from "../present-reconcile.js";

/** `202 Accepted` with the operation that will carry the change out. */
export function accepted(res: Response, accepted: Accepted): void {
  res
    .status(202)
    .location(operationLinks(accepted.operation).self)
    .json(presentOperation(accepted.operation));
}

export function projectRoutes(context: RouteContext): Router {
  const { store, zones, requests } = context;
  const router = Router();

  router.get("/projects", async (req, res) => {
    const principal: Principal = principalOf(res);
    const projects = (await new ReconcileRows(store.db).listProjectsWithReconciles(principal.user.id)).filter(
      ({ project }) => principal.projectId === null || project.id === principal.projectId,
    );
    const page = pageOf(projects, ({ project }) => project.name, pageRequest(req, "projects"));
    res.json(
      presentPage(page, ({ project, reconcile }) => {
        const zone = zones.get(project.zone);
        return { ...presentProject(project, zone), reconcile: presentReconcile(reconcile, zone) };
      }),
    );
  });

  router.put("/projects/:project", async (req, res) => {
    const principal = principalOf(res);
    const name = nameParam(req, "project");
    const body = bodyOf(req, ProjectBody);
    accepted(res, await requests.putProject(principal, name, body));
  });

  router.get("/projects/:project", async (req, res) => {
    const principal = principalOf(res);
    const name = param(req, "project");
    const found = await new ReconcileRows(store.db).findProjectWithReconcile(principal.user.id, name);
    const project = reachable(principal, name, found?.project);
    const zone = zones.get(project.zone);
    res.json({ ...presentProject(project, zone), reconcile: presentReconcile(found?.reconcile, zone) });
  });

  router.delete("/projects/:project", async (req, res) => {
    const result = await requests.deleteProject(principalOf(res), param(req, "project"));
    if (result) accepted(res, result);
    else res.status(204).end();
  });

  router.get("/projects/:project/operations", async (req, res) => {
    const project = await projectOf(store, principalOf(res), param(req, "project"));
    const request = pageRequest(req, "operations", { keyFields: [/^\d{1,20}$/, UUID_PATTERN] });
    // One more than the page tells whether there is a next one.
    const rows = await store.operationsPage(project.id, request.limit + 1, request.after as [string, string]);
    const items = rows.slice(0, request.limit);
    const last = items.at(-1);
    res.json({
      items: items.map((row) => presentOperation(row.operation)),
      next: rows.length > request.limit && last ? request.nextLink(last.key) : null,
    });
  });

  return router;
}
