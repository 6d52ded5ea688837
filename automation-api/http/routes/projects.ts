import { Router, type Response } from "express";
import { projectOf, type Principal } from "../../domain/authz.js";
import type { Accepted } from "../../domain/project-requests.js";
import { principalOf } from "../auth.js";
import type { RouteContext } from "../context.js";
import { operationLinks, presentOperation, presentProject } from "../present.js";
import { ProjectBody } from "../schemas.js";
import { bodyOf, nameParam, param } from "../validate.js";

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

  router.get("/projects", async (_req, res) => {
    const principal: Principal = principalOf(res);
    const projects = await store.listProjects(principal.user.id);
    res.json({
      items: projects
        .filter((project) => principal.projectId === null || project.id === principal.projectId)
        .map((project) => presentProject(project, zones.get(project.zone))),
    });
  });

  router.put("/projects/:project", async (req, res) => {
    const principal = principalOf(res);
    const name = nameParam(req, "project");
    const body = bodyOf(req, ProjectBody);
    accepted(res, await requests.putProject(principal, name, body));
  });

  router.get("/projects/:project", async (req, res) => {
    const project = await projectOf(store, principalOf(res), param(req, "project"));
    res.json(presentProject(project, zones.get(project.zone)));
  });

  router.delete("/projects/:project", async (req, res) => {
    const result = await requests.deleteProject(principalOf(res), param(req, "project"));
    if (result) accepted(res, result);
    else res.status(204).end();
  });

  router.get("/projects/:project/operations", async (req, res) => {
    const project = await projectOf(store, principalOf(res), param(req, "project"));
    const operations = await store.listOperations(project.id);
    res.json({ items: operations.map((operation) => presentOperation(operation)) });
  });

  return router;
}
