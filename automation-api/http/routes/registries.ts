import { Router } from "express";
import { projectOf, requireProjectOwner } from "../../domain/authz.js";
import { LimitReachedError, UnprocessableError, ValidationError } from "../../domain/errors.js";
import { registryContext, SecretsDisabledError } from "../../domain/project-secrets.js";
import { isAddressRegistry } from "../../../spec/registries.js";
import {
  isRegistryServer,
  REGISTRIES_PER_PROJECT_MAX,
  REGISTRY_SERVER_MESSAGE,
} from "../../../spec/secrets.js";
import { RegistryCredentialRows } from "../../store/registry-credentials.js";
import { principalOf } from "../auth.js";
import type { RouteContext } from "../context.js";
import { pageOf, pageRequest, presentPage } from "../pagination.js";
import { RegistryCredentialBody } from "../secret-schemas.js";
import { bodyOf, param } from "../validate.js";
import { accepted } from "./projects.js";

/** The registry's `host[:port]` from the path, as image references name it. */
function serverParam(req: Parameters<typeof param>[0]): string {
  const server = param(req, "server");
  if (!isRegistryServer(server))
    throw new ValidationError([{ path: "server", message: REGISTRY_SERVER_MESSAGE }]);
  return server;
}

/**
 * `/projects/{project}/registries[/{server}]`: credentials of private registries, write-only
 * like secret variables. The stack writes them into one `kubernetes.io/dockerconfigjson` Secret
 * that every app pulls its image with; the zone's registry rules still decide which images
 * may be pulled at all. Project settings: the owner's user token only.
 */
export function registryRoutes({ store, zones, requests, secrets }: RouteContext): Router {
  const router = Router();

  router.get("/projects/:project/registries", async (req, res) => {
    const project = await projectOf(store, principalOf(res), param(req, "project"));
    const rows = await new RegistryCredentialRows(store.db).list(project.id);
    const page = pageOf(rows, (row) => row.server, pageRequest(req, "registries"));
    res.json(presentPage(page, (row) => ({ server: row.server, setAt: row.setAt.toISOString() })));
  });

  router.put("/projects/:project/registries/:server", async (req, res) => {
    const principal = principalOf(res);
    requireProjectOwner(principal, "set registry credentials");
    const server = serverParam(req);
    const body = bodyOf(req, RegistryCredentialBody);
    const box = secrets;
    if (!box) throw new SecretsDisabledError();
    const result = await requests.changeOutsideSpec(
      principal,
      param(req, "project"),
      `PUT registries/${server}`,
      async (queries, project) => {
        const zone = zones.get(project.zone);
        if (isAddressRegistry(server) && !(zone?.addressRegistries ?? []).includes(server)) {
          throw new UnprocessableError(
            "registry-not-allowed",
            [
              {
                path: "server",
                message: `registry '${server}' is an address (an IP literal, localhost or link-local); images must come from a registry named by a DNS name`,
              },
            ],
            { zone: project.zone, addressRegistries: [...(zone?.addressRegistries ?? [])] },
          );
        }
        const rows = new RegistryCredentialRows(queries.db);
        const existing = await rows.list(project.id);
        if (!existing.some((row) => row.server === server) && existing.length >= REGISTRIES_PER_PROJECT_MAX) {
          throw new LimitReachedError(
            `project '${project.name}' has credentials for ${existing.length} registries, the most a project may have`,
            { limit: "registriesPerProject", allowed: REGISTRIES_PER_PROJECT_MAX, current: existing.length },
          );
        }
        await rows.set({
          projectId: project.id,
          server,
          sealed: box.seal(JSON.stringify(body), registryContext(project.id, server)),
        });
        return true;
      },
    );
    if (result) accepted(res, result);
  });

  router.delete("/projects/:project/registries/:server", async (req, res) => {
    const principal = principalOf(res);
    requireProjectOwner(principal, "delete registry credentials");
    const server = param(req, "server");
    const result = await requests.changeOutsideSpec(
      principal,
      param(req, "project"),
      `DELETE registries/${server}`,
      async (queries, project) => new RegistryCredentialRows(queries.db).delete(project.id, server),
    );
    if (result) accepted(res, result);
    else res.status(204).end();
  });

  return router;
}
