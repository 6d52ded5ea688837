import { createHash, randomBytes } from "node:crypto";
import { ValidationError } from "./errors.js";

export const TOKEN_PREFIX = "pk_";

/** A new bearer token: `pk_` and 32 random bytes in base64url. */
export function newToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString("base64url");
}

/** How a token is stored: its SHA-256, hex. Tokens carry 256 random bits, so no salt or slow hash is needed. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** The first characters shown in token lists so that owners can tell their tokens apart. */
export function tokenPrefix(token: string): string {
  return token.slice(0, TOKEN_PREFIX.length + 6);
}

export function looksLikeToken(value: string): boolean {
  return /^pk_[A-Za-z0-9_-]{43}$/.test(value);
}

/** Longest lifetime a token may be given: about ten years. */
export const MAX_TOKEN_LIFETIME_SECONDS = 10 * 366 * 86_400;

/**
 * When a new token expires: `expiresIn` seconds from now, or for project tokens at most the
 * service's maximum (which is also their lifetime when none is asked); `null` means never.
 * An asked lifetime beyond the maximum is refused, naming the maximum.
 */
export function tokenExpiry(
  expiresIn: number | undefined,
  maxSeconds: number | undefined,
  now = new Date(),
): Date | null {
  if (maxSeconds !== undefined && expiresIn !== undefined && expiresIn > maxSeconds) {
    throw new ValidationError([
      {
        path: "expiresIn",
        message: `must be at most ${maxSeconds} seconds, the longest this service gives project tokens`,
      },
    ]);
  }
  const seconds = expiresIn ?? maxSeconds;
  return seconds === undefined ? null : new Date(now.getTime() + seconds * 1000);
}
