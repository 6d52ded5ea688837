import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Server } from "node:http";
import { loadZone } from "../zones/index.js";
import { createApp } from "./app.js";
import { readConfig } from "./config.js";
import { ensureAdmin } from "./domain/bootstrap.js";
import { zonesFromFiles } from "./domain/zones.js";
import { EventBus } from "./jobs/event-bus.js";
import { StackJobs } from "./jobs/stack-jobs.js";
import { AutomationRunner } from "./runner/automation-runner.js";
import { projectProgram } from "./runner/project-program.js";
import { Store } from "./store/store.js";

/**
 * `npm start`: reads the configuration once, brings up the local zone when no DATABASE_URL
 * names another database, migrates the store, starts the job workers and listens.
 */
async function main(): Promise<void> {
  const config = readConfig(process.env);
  const zones = zonesFromFiles();
  const local = await import("./local-zone.js");

  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    await local.ensureLocalZone();
    databaseUrl = await local.localDatabaseUrl(loadZone("local"));
  }

  const store = Store.connect(databaseUrl);
  await store.migrate();
  const bus = await EventBus.start(databaseUrl);
  const engine = await local.localEngine();
  const runner = new AutomationRunner({
    dataDir: config.dataDir,
    engineEnv: engine.engineEnv,
    pulumiCommand: engine.pulumiCommand,
    policyPackDir: config.policyPackDir ?? (await local.ensurePolicyPack()),
    program: projectProgram,
  });
  const jobs = new StackJobs({
    connectionString: databaseUrl,
    store,
    runner,
    zones,
    bus,
    workers: config.workers,
    allowedRegistries: config.allowedRegistries,
    log: (line) => console.error(line),
  });
  await jobs.start();

  const adminToken = await ensureAdmin(store);
  // Kept before listening: a start that fails later must not lose the only copy of the token.
  const adminTokenFile = adminToken ? writeAdminToken(config.dataDir, adminToken) : undefined;
  const app = createApp({ store, zones, jobs, bus });
  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(config.port, config.host, (error?: Error) =>
      error ? reject(error) : resolve(listening),
    );
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  console.log(`pluskube listening on http://${config.host}:${port}`);
  if (adminToken) console.log(`admin token (shown once, also in ${adminTokenFile}): ${adminToken}`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log("pluskube stopping ...");
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    // Event streams stay open until their operation ends; do not wait for them.
    setTimeout(() => server.closeAllConnections(), 2000).unref();
    await closed;
    await jobs.stop();
    await bus.close();
    await store.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

/** The first admin token for the operator, readable only by the service's user. */
function writeAdminToken(dataDir: string, token: string): string {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, "admin-token");
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
