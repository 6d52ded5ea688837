import { Router } from "express";
import { projectOf, requireUserToken } from "../../domain/authz.js";
import { hashToken, newToken, tokenExpiry, tokenPrefix } from "../../domain/tokens.js";
import { principalOf } from "../auth.js";
import type { RouteContext } from "../context.js";
import { presentToken } from "../present.js";
import { ProjectTokenBody } from "../schemas.js";
import { byCreation, pageOf, pageRequest, presentPage } from "../pagination.js";
import { bodyOf, param } from "../validate.js";

/** The shorter of two maximum lifetimes, either of which may be absent. */
function shorterOf(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/** Tokens that reach one project only, read-only or allowed to deploy; managed with a user token. */
export function projectTokenRoutes({
  store,
  bus,
  zones,
  projectTokenMaxLifetimeSeconds,
}: RouteContext): Router {
  const router = Router();

  router.post("/projects/:project/tokens", async (req, res) => {
    const principal = principalOf(res);
    const project = await projectOf(store, principal, param(req, "project"));
    requireUserToken(principal, "manage project tokens");
    const body = bodyOf(req, ProjectTokenBody);
    const expiresAt = tokenExpiry(
      body.expiresIn,
      shorterOf(
        projectTokenMaxLifetimeSeconds,
        zones.get(project.zone)?.limits.projectTokenMaxLifetimeSeconds,
      ),
    );
    const token = newToken();
    const row = await store.insertToken({
      hash: hashToken(token),
      prefix: tokenPrefix(token),
      name: body.name,
      userId: project.userId,
      projectId: project.id,
      scope: body.scope,
      expiresAt,
    });
    res.status(201).json({ ...presentToken(row, project.name), token });
  });

  router.get("/projects/:project/tokens", async (req, res) => {
    const principal = principalOf(res);
    const project = await projectOf(store, principal, param(req, "project"));
    requireUserToken(principal, "manage project tokens");
    const tokens = await store.listTokens({ userId: project.userId, projectId: project.id });
    const page = pageOf(tokens, byCreation, pageRequest(req, "project-tokens"));
    res.json(presentPage(page, (token) => presentToken(token, project.name)));
  });

  router.delete("/projects/:project/tokens/:token", async (req, res) => {
    const principal = principalOf(res);
    const project = await projectOf(store, principal, param(req, "project"));
    requireUserToken(principal, "manage project tokens");
    const token = await store.findToken(param(req, "token"));
    if (token && token.projectId === project.id) {
      await store.revokeToken(token.id);
      await bus.notifyAccessEnded(store, { tokens: [token.id] });
    }
    res.status(204).end();
  });

  return router;
}
