import { randomBytes, timingSafeEqual } from "node:crypto";
import express, { type Request, type Response, type Router } from "express";
import { z } from "zod";
import { ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from "../domain/errors.js";
import { hashToken } from "../domain/tokens.js";
import type { Store, TokenWithUser } from "../store/store.js";
import { WebSessions } from "../store/web-sessions.js";
import { accessRefusal, authenticatedToken } from "./auth.js";
import type { RateLimits } from "./rate-limit.js";

/** The cookie that carries a browser's session secret; never readable by the page's scripts. */
export const SESSION_COOKIE = "pluskube_session";
/** The header every change made with the cookie must carry, equal to the session's CSRF token. */
export const CSRF_HEADER = "x-csrf-token";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** Expired sessions are swept on sign-in, at most this often per process. */
const PRUNE_EVERY_MS = 60_000;

/** How long browser sessions last. */
export interface WebSessionOptions {
  /** Seconds a session lasts from sign-in (it also ends with its token). Default 43 200 (12 hours). */
  readonly lifetimeSeconds?: number;
}

const SignInBody = z.strictObject({ token: z.string().min(1).max(200) });

/** The session a request's cookie names, once looked up. */
interface CookieSession {
  readonly hash: string;
  readonly csrf: string;
  readonly expiresAt: Date;
}

/**
 * Sign-in of the web UI: a pluskube token is exchanged for an HttpOnly, SameSite=Strict cookie
 * whose session stands for that token, so the token never sits in browser storage. Requests
 * with the cookie act with the token's principal, unchanged; changes must also carry the
 * session's CSRF token in `X-CSRF-Token` (SameSite alone does not cover older browsers or
 * same-site subdomains, which here are members' apps).
 */
export class WebSessionAuth {
  private readonly sessions: WebSessions;
  private readonly lifetimeMs: number;
  private lastPrune = 0;

  constructor(
    private readonly store: Store,
    options: WebSessionOptions = {},
  ) {
    this.sessions = new WebSessions(store.db);
    this.lifetimeMs = (options.lifetimeSeconds ?? 43_200) * 1000;
  }

  /** Whether a request names a session by cookie (and no bearer token, which takes precedence). */
  usesCookie(req: Request): boolean {
    return req.get("authorization") === undefined && cookieOf(req, SESSION_COOKIE) !== undefined;
  }

  /**
   * The token a request's session cookie stands for; 401 when the session is unknown, expired
   * or its token no longer authenticates, 403 when a change lacks the session's CSRF token.
   */
  async authenticate(req: Request, res: Response): Promise<TokenWithUser> {
    const secret = cookieOf(req, SESSION_COOKIE);
    if (!secret) throw new UnauthorizedError();
    const hash = hashToken(secret);
    const session = await this.sessions.find(hash);
    if (!session) {
      clearCookie(req, res);
      throw new UnauthorizedError("the session has ended; sign in again");
    }
    const token = await this.store.findTokenByHash(session.tokenHash);
    const refused = token ? accessRefusal(token) : "the token is not known";
    if (!token || refused) {
      await this.sessions.delete(hash);
      clearCookie(req, res);
      throw new UnauthorizedError(`the session has ended: ${refused}`);
    }
    // A WebSocket upgrade is a GET that acts (port-forward), and browsers cannot add headers to
    // one: with the cookie alone it is refused, so another site cannot open a tunnel.
    const changes = !SAFE_METHODS.has(req.method) || req.get("upgrade") !== undefined;
    if (changes && !sameSecret(req.get(CSRF_HEADER), session.csrf)) {
      throw new ForbiddenError(
        "a change made with the session cookie must carry the session's CSRF token in X-CSRF-Token",
      );
    }
    const found: CookieSession = { hash, csrf: session.csrf, expiresAt: session.expiresAt };
    res.locals["webSession"] = found;
    return token;
  }

  /** `POST /v1/session`, before authentication: a token in the body, a cookie in the answer. */
  signInRoute(limits?: RateLimits): Router {
    const router = express.Router();
    router.post("/session", express.json({ limit: 4096 }), async (req, res) => {
      limits?.refuseBlockedAddress(req, res);
      const parsed = SignInBody.safeParse(req.body);
      if (!parsed.success) {
        throw new ValidationError([
          { path: "token", message: "a pluskube token such as pk_... is required" },
        ]);
      }
      let token: TokenWithUser;
      try {
        token = await authenticatedToken(this.store, `Bearer ${parsed.data.token.trim()}`);
      } catch (error) {
        if (limits && error instanceof UnauthorizedError) await limits.countFailure(req, res);
        throw error;
      }
      await this.pruneNowAndThen();
      const secret = randomBytes(32).toString("base64url");
      const csrf = randomBytes(32).toString("base64url");
      const lifetimeEnd = new Date(Date.now() + this.lifetimeMs);
      const expiresAt = token.expiresAt && token.expiresAt < lifetimeEnd ? token.expiresAt : lifetimeEnd;
      await this.sessions.insert({ hash: hashToken(secret), tokenId: token.id, csrf, expiresAt });
      res.setHeader("cache-control", "no-store");
      res.cookie(SESSION_COOKIE, secret, {
        httpOnly: true,
        sameSite: "strict",
        secure: req.secure,
        path: "/",
        expires: expiresAt,
      });
      res.status(201).json({ csrfToken: csrf, expiresAt: expiresAt.toISOString() });
    });
    return router;
  }

  /** `GET /v1/session` (the CSRF token again, after a reload) and `DELETE /v1/session` (sign-out). */
  sessionRoutes(): Router {
    const router = express.Router();
    router.get("/session", (_req, res) => {
      const session = sessionOf(res);
      res.setHeader("cache-control", "no-store");
      res.json({ csrfToken: session.csrf, expiresAt: session.expiresAt.toISOString() });
    });
    router.delete("/session", async (req, res) => {
      const session = sessionOf(res);
      await this.sessions.delete(session.hash);
      clearCookie(req, res);
      res.status(204).end();
    });
    return router;
  }

  private async pruneNowAndThen(): Promise<void> {
    if (Date.now() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = Date.now();
    await this.sessions.pruneExpired();
  }
}

function sessionOf(res: Response): CookieSession {
  const session = res.locals["webSession"] as CookieSession | undefined;
  if (!session) throw new NotFoundError("a browser session of this request (sign in with POST /v1/session)");
  return session;
}

function clearCookie(req: Request, res: Response): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: "strict", secure: req.secure, path: "/" });
}

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** One cookie of a request, without a parser dependency for the one cookie the service reads. */
export function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.get("cookie") ?? "").split(";")) {
    const at = part.indexOf("=");
    if (at < 0) continue;
    if (part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}
