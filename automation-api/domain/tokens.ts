import { createHash, randomBytes } from "node:crypto";

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
