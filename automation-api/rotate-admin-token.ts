import { loadZone } from "../zones/index.js";
import { readConfig } from "./config.js";
import { rotateAdminToken, secureDataDir } from "./domain/bootstrap.js";
import { EventBus } from "./jobs/event-bus.js";
import { Store } from "./store/store.js";

/**
 * `npm run admin-token:rotate`: gives the administrator a new token, written to the admin token
 * file in the data folder and printed once, and revokes the old one. Running services need no
 * restart: the old token stops working at once.
 */
async function main(): Promise<void> {
  const config = readConfig(process.env);
  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    const local = await import("./local-zone.js");
    databaseUrl = await local.localDatabaseUrl(loadZone("local"));
  }
  secureDataDir(config.dataDir, (line) => console.error(line));
  const store = Store.connect(databaseUrl, { max: 2 });
  const bus = await EventBus.start(databaseUrl);
  try {
    await store.migrate();
    const rotated = await rotateAdminToken(store, config.dataDir, (queries, ended) =>
      bus.notifyAccessEnded(queries, ended),
    );
    console.error(`revoked ${rotated.revoked.length} earlier admin token(s)`);
    console.log(`admin token (shown once, also in ${rotated.file}): ${rotated.token}`);
  } finally {
    await bus.close();
    await store.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
