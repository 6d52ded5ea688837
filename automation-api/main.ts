import type { Server } from "node:http";
import { loadZone } from "../zones/index.js";
import { kubeClusters } from "./cluster/kube-clusters.js";
import { readConfig } from "./config.js";
import {
  removeDeadAdminTokenFile,
  secureDataDir,
  watchAdminTokenFile,
  writeAdminTokenFile,
} from "./domain/bootstrap.js";
import { dataDirSecretsKey, parseSecretsKey, SecretBox } from "./domain/secret-box.js";
import { zonesFromFiles } from "./domain/zones.js";
import { buildService } from "./service.js";

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

  const log = (line: string) => console.error(line);
  // Every start, not only the first: modes changed since (or a folder made by hand) are fixed.
  secureDataDir(config.dataDir, log);
  const runner = await local.localRunner({ dataDir: config.dataDir, policyPackDir: config.policyPackDir });
  const service = await buildService({
    databaseUrl,
    zones,
    runner,
    clusters: kubeClusters(),
    secrets: new SecretBox(
      config.secretsKey === undefined
        ? dataDirSecretsKey(config.dataDir)
        : parseSecretsKey(config.secretsKey),
    ),
    jobs: {
      workers: config.workers,
      allowedRegistries: config.allowedRegistries,
      retentionDays: config.retentionDays,
      log: (line) => console.error(line),
    },
    app: {
      tokens: { projectTokenMaxLifetimeSeconds: config.projectTokenMaxLifetimeSeconds },
      rateLimit: { windowMs: 60_000, ...config.rateLimit },
      streams: config.streams,
      trustProxy: config.trustProxy,
    },
  });

  const adminToken = service.adminToken;
  // Kept before listening: a start that fails later must not lose the only copy of the token.
  const adminTokenFile = adminToken ? writeAdminTokenFile(config.dataDir, adminToken) : undefined;
  if (!adminToken) await removeDeadAdminTokenFile(config.dataDir, service.store, log);
  const stopWatching = await watchAdminTokenFile(config.dataDir, service.store, service.bus, log);
  const server: Server = await service.listen(config.port, config.host);
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
    stopWatching();
    await service.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
