import { Router } from "express";
import { projectOf } from "../../domain/authz.js";
import { NotFoundError, ValidationError } from "../../domain/errors.js";
import { CLAIM_KIND_NAMES, CLAIM_KINDS, type ClaimKindName } from "../../../spec/claim-kinds.js";
import type { ClaimItem } from "../../../spec/project.js";
import { findItem } from "../../domain/spec.js";
import { principalOf } from "../auth.js";
import type { RouteContext } from "../context.js";
import { presentItem } from "../present.js";
import { ItemBodies, MergePatch } from "../schemas.js";
import { pageOf, pageRequest, presentPage } from "../pagination.js";
import { bodyOf, nameParam, param } from "../validate.js";
import { accepted } from "./projects.js";

/** `/projects/{project}/{apps|databases|buckets|volumes}[/{name}]`: desired state of one kind of claim. */
export function itemRoutes(context: RouteContext): Router {
  const router = Router();
  for (const collection of CLAIM_KIND_NAMES) mount(router, context, collection);
  return router;
}

function mount(router: Router, { store, requests }: RouteContext, collection: ClaimKindName): void {
  const singular = CLAIM_KINDS[collection].singular;
  const base = `/projects/:project/${collection}`;

  router.get(base, async (req, res) => {
    const project = await projectOf(store, principalOf(res), param(req, "project"));
    const items = project.spec[collection] as readonly { name: string }[];
    const page = pageOf(items, (item) => item.name, pageRequest(req, collection));
    res.json(presentPage(page, (item) => presentItem(project, collection, item)));
  });

  router.get(`${base}/:name`, async (req, res) => {
    const project = await projectOf(store, principalOf(res), param(req, "project"));
    const item = findItem(project.spec, collection, param(req, "name"));
    if (!item) throw new NotFoundError(`${singular} '${param(req, "name")}'`);
    res.json(presentItem(project, collection, item));
  });

  router.put(`${base}/:name`, async (req, res) => {
    const principal = principalOf(res);
    const name = nameParam(req, "name");
    const body = bodyOf(req, ItemBodies[collection]);
    if (body.name !== undefined && body.name !== name) {
      throw new ValidationError([
        { path: "name", message: `must match the name in the URL ('${name}') or be left out` },
      ]);
    }
    const item = { ...body, name } as ClaimItem<typeof collection>;
    accepted(res, await requests.putItem(principal, param(req, "project"), collection, item));
  });

  router.patch(`${base}/:name`, async (req, res) => {
    const principal = principalOf(res);
    const patch = bodyOf(req, MergePatch);
    accepted(
      res,
      await requests.patchItem(principal, param(req, "project"), collection, param(req, "name"), patch),
    );
  });

  router.delete(`${base}/:name`, async (req, res) => {
    const result = await requests.deleteItem(
      principalOf(res),
      param(req, "project"),
      collection,
      param(req, "name"),
    );
    if (result) accepted(res, result);
    else res.status(204).end();
  });
}
