import type { RequestHandler, Response } from "express";
import type { Principal } from "../domain/authz.js";
import { UnauthorizedError } from "../domain/errors.js";
import { hashToken, looksLikeToken } from "../domain/tokens.js";
import type { Store } from "../store/store.js";

/** Resolves `Authorization: Bearer pk_...` to a principal; missing, malformed, unknown or revoked → 401. */
export function authenticate(store: Store): RequestHandler {
  return async (req, res, next) => {
    const header = req.get("authorization");
    if (!header) throw new UnauthorizedError();
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1] || !looksLikeToken(match[1])) {
      throw new UnauthorizedError("the Authorization header must be 'Bearer pk_...' with a pluskube token");
    }
    const token = await store.findTokenByHash(hashToken(match[1]));
    if (!token) throw new UnauthorizedError("the token is not known");
    if (token.revokedAt) throw new UnauthorizedError("the token has been revoked");
    const principal: Principal = {
      tokenId: token.id,
      user: token.user,
      scope: token.scope,
      projectId: token.projectId,
    };
    res.locals["principal"] = principal;
    // Last use is informational: record it at most once a minute per token, without waiting.
    if (!token.lastUsedAt || Date.now() - token.lastUsedAt.getTime() > 60_000) {
      store.touchToken(token.id).catch(() => {});
    }
    next();
  };
}

export function principalOf(res: Response): Principal {
  const principal = res.locals["principal"] as Principal | undefined;
  if (!principal) throw new UnauthorizedError();
  return principal;
}
