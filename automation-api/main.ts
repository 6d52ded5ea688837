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
import { createLogger, loggerSettingsFromEnv, type Logger } from "./observability/log.js";
import { buildService } from "./service.js";
import { stopGracefullyOnSignals } from "./shutdown.js";
import { weedBucketQuotas } from "./datastores/bucket-quotas.js";
import { describeState, prepareSharedState } from "./shared-state.js";
import { ensureWebUiBuilt } from "./web-build.js";

/**
 * `npm start`: reads the configuration once, brings up the local zone when no DATABASE_URL
 * names another database, migrates the store, starts the job workers and listens.
 */
async function main(logger: Logger): Promise<void> {
  const config = readConfig(process.env);
  const zones = zonesFromFiles();
  const local = await import("./local-zone.js");

  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    await local.ensureLocalZone((line) => logger.info(line));
    databaseUrl = await local.localDatabaseUrl(loadZone("local"));
  }

  const log = (line: string) => logger.info(line);
  ensureWebUiBuilt(log);
  // Every start, not only the first: modes changed since (or a folder made by hand) are fixed.
  secureDataDir(config.dataDir, log);
  const sharedState = await prepareSharedState(config.state, { dataDir: config.dataDir, databaseUrl });
  log(`stack state: ${describeState(config.state)}`);
  const runner = await local.localRunner({
    dataDir: config.dataDir,
    policyPackDir: config.policyPackDir,
    sharedState,
  });
  const service = await buildService({
    databaseUrl,
    zones,
    runner,
    clusters: kubeClusters(),
    bucketQuotas: weedBucketQuotas(await local.localWeedPath()),
    secrets: new SecretBox(
      config.secretsKey === undefined
        ? dataDirSecretsKey(config.dataDir)
        : parseSecretsKey(config.secretsKey),
    ),
    logger,
    jobs: {
      workers: config.workers,
      allowedRegistries: config.allowedRegistries,
      retentionDays: config.retentionDays,
      shutdownGraceSeconds: config.shutdownGraceSeconds,
    },
    app: {
      tokens: { projectTokenMaxLifetimeSeconds: config.projectTokenMaxLifetimeSeconds },
      rateLimit: { windowMs: 60_000, ...config.rateLimit },
      streams: config.streams,
      trustProxy: config.trustProxy,
      usageSampleSeconds: config.usageSampleSeconds,
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
  const url = `http://${config.host}:${port}`;
  logger.info({ url }, `pluskube listening on ${url}`);
  const metricsServer = config.metrics
    ? await service.listenMetrics(config.metrics.port, config.metrics.host)
    : undefined;
  if (metricsServer) {
    const metricsAddress = metricsServer.address();
    const metricsPort = typeof metricsAddress === "object" && metricsAddress ? metricsAddress.port : 0;
    logger.info({ url: `http://${config.metrics?.host}:${metricsPort}/metrics` }, "metrics listening");
  }
  if (adminTokenFile) {
    // Never a log line: logs travel to collectors. Only a person at the terminal sees the token.
    logger.info({ file: adminTokenFile }, "first start: the admin token is in its file (shown once)");
    if (process.stdout.isTTY)
      process.stdout.write(`admin token (shown once, also in ${adminTokenFile}): ${adminToken}\n`);
  }

  stopGracefullyOnSignals({
    service,
    server,
    metricsServer,
    logger,
    graceSeconds: config.shutdownGraceSeconds,
    beforeClose: stopWatching,
  });
}

let logger: Logger;
try {
  logger = createLogger(loggerSettingsFromEnv(process.env));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
main(logger).catch((error: unknown) => {
  logger.fatal(
    { err: error instanceof Error ? error : new Error(String(error)) },
    "pluskube failed to start",
  );
  process.exit(1);
});
