import type { Store } from "../store/store.js";
import { hashToken, newToken, tokenPrefix } from "./tokens.js";

export const ADMIN_USER = "admin";

/**
 * Creates the administrator and their first token when the service has no administrator yet.
 * Returns the token (the only time it exists in plain text), or `undefined` when an
 * administrator already exists. Safe when several processes start at once.
 */
export async function ensureAdmin(store: Store): Promise<string | undefined> {
  return store.transaction(async (queries) => {
    await queries.executor.executeSql("select pg_advisory_xact_lock(hashtext('pluskube:bootstrap'))");
    if (await queries.hasAdmin()) return undefined;
    const admin =
      (await queries.findUserByName(ADMIN_USER)) ??
      (await queries.createUser({ name: ADMIN_USER, isAdmin: true }));
    const token = newToken();
    await queries.insertToken({
      hash: hashToken(token),
      prefix: tokenPrefix(token),
      name: "first start",
      userId: admin.id,
      scope: "user",
    });
    return token;
  });
}
