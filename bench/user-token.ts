import { hashToken, newToken, tokenPrefix } from "../automation-api/domain/tokens.js";
import type { Store } from "../automation-api/store/store.js";

/** A token for a benchmark run, of the user `name` (made if missing), made directly in the store. */
export async function createUserToken(store: Store, name: string): Promise<string> {
  const user = (await store.findUserByName(name)) ?? (await store.createUser({ name }));
  const token = newToken();
  await store.insertToken({
    hash: hashToken(token),
    prefix: tokenPrefix(token),
    name: "bench",
    userId: user.id,
    scope: "user",
  });
  return token;
}
