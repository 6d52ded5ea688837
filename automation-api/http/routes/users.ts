import { Router } from "express";
import { requireAdmin, requireUserToken, type Principal } from "../../domain/authz.js";
import { ConflictError, NotFoundError } from "../../domain/errors.js";
import { hashToken, newToken, tokenExpiry, tokenPrefix } from "../../domain/tokens.js";
import type { UserRow } from "../../store/schema.js";
import type { Store } from "../../store/store.js";
import { principalOf } from "../auth.js";
import type { RouteContext } from "../context.js";
import { presentToken, presentUser } from "../present.js";
import { TokenBody, UserBody, UserPatch } from "../schemas.js";
import { byCreation, pageOf, pageRequest, presentPage } from "../pagination.js";
import { bodyOf, nameParam, param } from "../validate.js";

/** The user named in the path, when the principal may manage it: an administrator, or the user itself. */
async function manageableUser(store: Store, principal: Principal, name: string): Promise<UserRow> {
  requireUserToken(principal, "manage users or user tokens");
  const user = principal.user.name === name ? principal.user : await store.findUserByName(name);
  if (!user || (user.id !== principal.user.id && !principal.user.isAdmin))
    throw new NotFoundError(`user '${name}'`);
  return user;
}

export function userRoutes({ store, bus }: RouteContext): Router {
  const router = Router();

  router.get("/me", async (_req, res) => {
    const principal = principalOf(res);
    const token = await store.findToken(principal.tokenId);
    const project = principal.projectId ? await store.findProjectById(principal.projectId) : undefined;
    res.json({
      user: presentUser(principal.user),
      ...(token ? { token: presentToken(token, project?.name) } : {}),
    });
  });

  router.post("/users", async (req, res) => {
    const principal = principalOf(res);
    requireAdmin(principal);
    const body = bodyOf(req, UserBody);
    if (await store.findUserByName(body.name))
      throw new ConflictError(`user '${body.name}' exists`, {}, "user-exists");
    const user = await store.createUser({
      name: body.name,
      weight: body.weight,
      isAdmin: body.admin ?? false,
    });
    res.status(201).location(`/v1/users/${user.name}`).json(presentUser(user));
  });

  router.get("/users", async (req, res) => {
    requireAdmin(principalOf(res));
    const page = pageOf(await store.listUsers(), byCreation, pageRequest(req, "users"));
    res.json(presentPage(page, presentUser));
  });

  router.get("/users/:user", async (req, res) => {
    const user = await manageableUser(store, principalOf(res), param(req, "user"));
    res.json(presentUser(user));
  });

  router.patch("/users/:user", async (req, res) => {
    const principal = principalOf(res);
    requireAdmin(principal);
    const body = bodyOf(req, UserPatch);
    const user = await store.findUserByName(param(req, "user"));
    if (!user) throw new NotFoundError(`user '${param(req, "user")}'`);
    if (body.disabled && user.id === principal.user.id) {
      throw new ConflictError("administrators cannot disable themselves; ask another administrator");
    }
    const disabledAt =
      body.disabled === undefined ? undefined : body.disabled ? (user.disabledAt ?? new Date()) : null;
    const updated = await store.updateUser(user.id, {
      ...(body.weight !== undefined ? { weight: body.weight } : {}),
      ...(disabledAt !== undefined ? { disabledAt } : {}),
    });
    if (body.disabled) await bus.notifyAccessEnded(store, { users: [user.id] });
    else await bus.notifyUserChanged(store, user.id);
    res.json(presentUser(updated));
  });

  router.post("/users/:user/tokens", async (req, res) => {
    const user = await manageableUser(store, principalOf(res), nameParam(req, "user"));
    const body = bodyOf(req, TokenBody);
    const expiresAt = tokenExpiry(body.expiresIn, undefined);
    const token = newToken();
    const row = await store.insertToken({
      hash: hashToken(token),
      prefix: tokenPrefix(token),
      name: body.name,
      userId: user.id,
      scope: "user",
      expiresAt,
    });
    res.status(201).json({ ...presentToken(row), token });
  });

  router.get("/users/:user/tokens", async (req, res) => {
    const user = await manageableUser(store, principalOf(res), param(req, "user"));
    const tokens = await store.listTokens({ userId: user.id, projectId: null });
    const page = pageOf(tokens, byCreation, pageRequest(req, "user-tokens"));
    res.json(presentPage(page, (token) => presentToken(token)));
  });

  // The project tokens of all the user's projects, so that an administrator can find the one to revoke.
  router.get("/users/:user/project-tokens", async (req, res) => {
    const user = await manageableUser(store, principalOf(res), param(req, "user"));
    const [tokens, projects] = await Promise.all([
      store.listProjectTokensOfUser(user.id),
      store.listProjects(user.id),
    ]);
    const names = new Map(projects.map((project) => [project.id, project.name]));
    const page = pageOf(tokens, byCreation, pageRequest(req, "user-project-tokens"));
    res.json(presentPage(page, (token) => presentToken(token, names.get(token.projectId ?? ""))));
  });

  router.delete("/users/:user/tokens/:token", async (req, res) => {
    const user = await manageableUser(store, principalOf(res), param(req, "user"));
    const token = await store.findToken(param(req, "token"));
    // Any token of the user, project tokens included: an administrator can stop a leaked one.
    if (token && token.userId === user.id) {
      await store.revokeToken(token.id);
      await bus.notifyAccessEnded(store, { tokens: [token.id] });
    }
    res.status(204).end();
  });

  return router;
}
