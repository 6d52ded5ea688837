import type { RequestHandler, Response } from "express";
import type { Principal } from "../domain/authz.js";
import { UnauthorizedError } from "../domain/errors.js";
import { hashToken, looksLikeToken } from "../domain/tokens.js";
import type { Store, TokenWithUser } from "../store/store.js";
import type { RateLimits } from "./rate-limit.js";
import type { TokenCache } from "./token-cache.js";
import type { WebSessionAuth } from "./web-session.js";

/**
 * Resolves `Authorization: Bearer pk_...` (or, without that header, the web UI's session cookie)
 * to a principal; missing, malformed, unknown, revoked or expired tokens, and tokens of a
 * disabled user → 401.
 */
export function authenticate(tokens: TokenCache, limits?: RateLimits, web?: WebSessionAuth): RequestHandler {
  return async (req, res, next) => {
    limits?.refuseBlockedAddress(req, res);
    let token: TokenWithUser;
    try {
      token =
        web && web.usesCookie(req)
          ? await web.authenticate(req, res)
          : await authenticatedToken(tokens, req.get("authorization"));
    } catch (error) {
      if (limits && error instanceof UnauthorizedError) await limits.countFailure(req, res);
      throw error;
    }
    const principal = principalOfToken(token);
    res.locals["principal"] = principal;
    // After authentication, so that the limit counts the token however its header was written.
    await limits?.countRequest(principal, res);
    // Last use is informational: record it at most once a minute per token, without waiting.
    if (!token.lastUsedAt || Date.now() - token.lastUsedAt.getTime() > 60_000) {
      tokens.touch(token).catch(() => {});
    }
    next();
  };
}

/** Who acts with an authenticated token. */
export function principalOfToken(token: TokenWithUser): Principal {
  return {
    tokenId: token.id,
    user: token.user,
    scope: token.scope,
    projectId: token.projectId,
    expiresAt: token.expiresAt,
  };
}

/** The token a `Bearer` header carries, or `UnauthorizedError` saying why it does not authenticate. */
export async function authenticatedToken(
  tokens: Pick<Store, "findTokenByHash">,
  header: string | undefined,
): Promise<TokenWithUser> {
  if (!header) throw new UnauthorizedError();
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1] || !looksLikeToken(match[1])) {
    throw new UnauthorizedError("the Authorization header must be 'Bearer pk_...' with a pluskube token");
  }
  const token = await tokens.findTokenByHash(hashToken(match[1]));
  if (!token) throw new UnauthorizedError("the token is not known");
  const refused = accessRefusal(token);
  if (refused) throw new UnauthorizedError(refused);
  return token;
}

/** Why a known token no longer authenticates, or `undefined` while it does. */
export function accessRefusal(token: TokenWithUser, now = new Date()): string | undefined {
  if (token.revokedAt) return "the token has been revoked";
  if (token.expiresAt && token.expiresAt <= now)
    return `the token expired at ${token.expiresAt.toISOString()}`;
  if (token.user.disabledAt)
    return `the user '${token.user.name}' is disabled; an administrator can enable them`;
  return undefined;
}

/** Why the principal's token no longer authenticates (re-read from the store), or `undefined`. */
export async function currentRefusal(store: Store, principal: Principal): Promise<string | undefined> {
  const [token, user] = await Promise.all([
    store.findToken(principal.tokenId),
    store.findUserById(principal.user.id),
  ]);
  if (!token || !user) return "the token is not known";
  return accessRefusal({ ...token, user });
}

export function principalOf(res: Response): Principal {
  const principal = res.locals["principal"] as Principal | undefined;
  if (!principal) throw new UnauthorizedError();
  return principal;
}
