/**
 * The token cache against the service's real PostgreSQL: how many lookups a burst of one
 * token's requests costs, and that news of a change is never answered from a read begun
 * before it.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { TokenCache } from "../../automation-api/http/token-cache.js";
import { EventBus } from "../../automation-api/jobs/event-bus.js";
import { Store } from "../../automation-api/store/store.js";
import { freshDatabase, storedUserToken } from "./harness.js";

let store: Store;
let bus: EventBus;

beforeAll(async () => {
  store = Store.connect(await freshDatabase());
  await store.migrate();
  bus = await EventBus.start(undefined);
});

afterAll(async () => {
  await store.close();
});

const tokenOf = (name: string) => storedUserToken(store, name);

describe("token cache", () => {
  it("reads a token once for a burst of its requests", async () => {
    const token = await tokenOf("burst");
    const lookups = vi.spyOn(store, "findTokenByHash");
    const cache = new TokenCache(store, bus);

    const found = await Promise.all(Array.from({ length: 20 }, () => cache.findTokenByHash(token.hash)));

    expect(found.map((row) => row?.id)).toEqual(Array(20).fill(token.id));
    expect(lookups).toHaveBeenCalledTimes(1);
    lookups.mockRestore();
  });

  it("does not answer a request that follows a revocation with a read begun before it", async () => {
    const token = await tokenOf("overtaken");
    const cache = new TokenCache(store, bus);
    const before = cache.findTokenByHash(token.hash);
    await store.db.updateTable("tokens").set({ revokedAt: new Date() }).where("id", "=", token.id).execute();
    await bus.notifyAccessEnded(store, { tokens: [token.id] });

    const after = await cache.findTokenByHash(token.hash);

    expect((await before)?.revokedAt).toBeNull();
    expect(after?.revokedAt).toBeInstanceOf(Date);
  });
});
