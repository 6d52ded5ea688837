import { Router } from "express";
import { projectOf } from "../../domain/authz.js";
import { LimitReachedError, NotFoundError, ValidationError } from "../../domain/errors.js";
import { secretEnvContext, SecretsDisabledError } from "../../domain/project-secrets.js";
import { findItem } from "../../domain/spec.js";
import { isSecretEnvName, SECRET_ENV_NAME_MESSAGE, SECRET_ENV_PER_APP_MAX } from "../../../spec/secrets.js";
import { SecretEnvRows } from "../../store/secret-env.js";
import { principalOf } from "../auth.js";
import type { RouteContext } from "../context.js";
import { pageOf, pageRequest, presentPage } from "../pagination.js";
import { SecretValueBody } from "../secret-schemas.js";
import { bodyOf, nameParam, param } from "../validate.js";
import { accepted } from "./projects.js";

/** The variable's name from the path, refused unless it is an environment variable name. */
function envNameParam(req: Parameters<typeof param>[0]): string {
  const name = param(req, "name");
  if (!isSecretEnvName(name)) throw new ValidationError([{ path: "name", message: SECRET_ENV_NAME_MESSAGE }]);
  return name;
}

/**
 * `/projects/{project}/apps/{app}/secret-env[/{name}]`: an app's secret variables, write-only.
 * Answers show names and when they were set; values are sealed at rest with the operator's key
 * and reach the cluster only as a Secret the stack writes from Pulumi secrets. Setting or
 * deleting one rolls the app out through an operation.
 */
export function secretEnvRoutes({ store, requests, secrets }: RouteContext): Router {
  const router = Router();
  const base = "/projects/:project/apps/:app/secret-env";

  const appOf = (spec: Parameters<typeof findItem>[0], app: string) => {
    if (!findItem(spec, "apps", app)) throw new NotFoundError(`app '${app}'`);
  };

  router.get(base, async (req, res) => {
    const project = await projectOf(store, principalOf(res), param(req, "project"));
    appOf(project.spec, param(req, "app"));
    const rows = await new SecretEnvRows(store.db).names(project.id, param(req, "app"));
    const page = pageOf(rows, (row) => row.name, pageRequest(req, "secret-env"));
    res.json(presentPage(page, (row) => ({ name: row.name, setAt: row.setAt.toISOString() })));
  });

  router.put(`${base}/:name`, async (req, res) => {
    const app = nameParam(req, "app");
    const name = envNameParam(req);
    const { value } = bodyOf(req, SecretValueBody);
    const box = secrets;
    if (!box) throw new SecretsDisabledError();
    const result = await requests.changeOutsideSpec(
      principalOf(res),
      param(req, "project"),
      `PUT apps/${app}/secret-env/${name}`,
      async (queries, project) => {
        appOf(project.spec, app);
        const rows = new SecretEnvRows(queries.db);
        const existing = await rows.names(project.id, app);
        if (!existing.some((row) => row.name === name) && existing.length >= SECRET_ENV_PER_APP_MAX) {
          throw new LimitReachedError(
            `app '${app}' has ${existing.length} secret variables, the most one app may have`,
            { limit: "secretEnvPerApp", allowed: SECRET_ENV_PER_APP_MAX, current: existing.length },
          );
        }
        await rows.set({
          projectId: project.id,
          app,
          name,
          sealed: box.seal(value, secretEnvContext(project.id, app, name)),
        });
        return true;
      },
    );
    if (result) accepted(res, result);
  });

  router.delete(`${base}/:name`, async (req, res) => {
    const app = param(req, "app");
    const name = param(req, "name");
    const result = await requests.changeOutsideSpec(
      principalOf(res),
      param(req, "project"),
      `DELETE apps/${app}/secret-env/${name}`,
      async (queries, project) => {
        appOf(project.spec, app);
        return new SecretEnvRows(queries.db).delete(project.id, app, name);
      },
    );
    if (result) accepted(res, result);
    else res.status(204).end();
  });

  return router;
}
