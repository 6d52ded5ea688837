/**
 * News that access ended, sent inside a transaction, against the service's real PostgreSQL:
 * listeners in the sending process hear it only once the change is committed, so that what they
 * read of the store agrees with what they were told (the admin token file's watcher reads the
 * token again when told and removes the file if it no longer works).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventBus } from "../../automation-api/jobs/event-bus.js";
import { Store } from "../../automation-api/store/store.js";
import { freshDatabase, storedUserToken } from "./harness.js";

let store: Store;
let onDatabase: EventBus;
let inProcess: EventBus;

beforeAll(async () => {
  const url = await freshDatabase();
  store = Store.connect(url);
  await store.migrate();
  onDatabase = await EventBus.start(url);
  inProcess = await EventBus.start(undefined);
});

afterAll(async () => {
  await onDatabase.close();
  await inProcess.close();
  await store.close();
});

const tokenOf = (name: string) => storedUserToken(store, name);

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(done: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await pause(20);
}

describe.each([
  ["listening on the database", () => onDatabase],
  ["in one process", () => inProcess],
])("access news sent in a transaction, on a bus %s", (kind, busOf) => {
  it("reaches this process's listeners after the commit, when the store shows the revocation", async () => {
    const bus = busOf();
    const token = await tokenOf(`committed ${kind}`);
    const seen: (Date | null | undefined)[] = [];
    let told = 0;
    const stop = bus.subscribeAccess({ tokenId: token.id, userId: token.userId }, () => {
      told += 1;
      void store.findTokenByHash(token.hash).then((row) => seen.push(row?.revokedAt));
    });
    try {
      let toldBeforeCommit = -1;
      await store.transaction(async (queries) => {
        await queries.revokeToken(token.id);
        await bus.notifyAccessEnded(queries, { tokens: [token.id] });
        await pause(200);
        toldBeforeCommit = told;
      });
      await until(() => seen.length > 0);

      expect(toldBeforeCommit).toBe(0);
      expect(seen[0]).toBeInstanceOf(Date);
    } finally {
      stop();
    }
  });

  it("never reaches them when the transaction rolls back", async () => {
    const bus = busOf();
    const token = await tokenOf(`rolled back ${kind}`);
    let told = 0;
    const stop = bus.subscribeAccess({ tokenId: token.id, userId: token.userId }, () => (told += 1));
    try {
      await expect(
        store.transaction(async (queries) => {
          await queries.revokeToken(token.id);
          await bus.notifyAccessEnded(queries, { tokens: [token.id] });
          throw new Error("changed its mind");
        }),
      ).rejects.toThrow("changed its mind");
      await pause(300);

      expect(told).toBe(0);
      expect((await store.findTokenByHash(token.hash))?.revokedAt).toBeNull();
    } finally {
      stop();
    }
  });
});
