import type { Server } from "node:http";
import type { Express } from "express";
import { createApp, type AppDeps } from "./app.js";
import type { ZoneClusters } from "./cluster/cluster.js";
import { zoneDatabaseGuard } from "./datastores/database-guard.js";
import { zoneDatastores } from "./datastores/zone-postgres.js";
import { weedBucketQuotas, type BucketQuotas } from "./datastores/bucket-quotas.js";
import { AppUsageSampler } from "./jobs/app-usage-sampler.js";
import { BucketQuotaEnforcer } from "./jobs/bucket-quota-enforcer.js";
import { ensureAdmin } from "./domain/bootstrap.js";
import type { SecretBox } from "./domain/secret-box.js";
import { routeUpgrades } from "./http/port-forward.js";
import { createMetricsApp } from "./http/metrics-app.js";
import type { ReadinessCheck } from "./http/readiness.js";
import { silentLogger, type Logger } from "./observability/log.js";
import { ServiceMetrics } from "./observability/metrics.js";
import type { ZoneCatalog } from "./domain/zones.js";
import { DatabaseLimitEnforcer } from "./jobs/database-limits.js";
import { DomainChecks } from "./jobs/domain-checks.js";
import { EventBus } from "./jobs/event-bus.js";
import { StackLocks } from "./jobs/stack-lock.js";
import { StackJobs, type StackJobsOptions } from "./jobs/stack-jobs.js";
import type { Runner } from "./runner/runner.js";
import { Store } from "./store/store.js";

/** How long an idle keep-alive connection stays open: longer than the proxies in front keep theirs. */
const IDLE_CONNECTION_MS = 125_000;

/** What the service is built from; everything else has a default. */
export interface ServiceParts {
  readonly databaseUrl: string;
  readonly zones: ZoneCatalog;
  readonly runner: Runner;
  /** Readers of the zones' clusters (`kubeClusters()` in production, a fake in the HTTP tests). */
  readonly clusters: ZoneClusters;
  /**
   * Seals members' secret values at rest and opens them for runs (`PLUSKUBE_SECRETS_KEY`, or a
   * key generated into the data folder). Without it secret values are refused (503).
   */
  readonly secrets?: SecretBox;
  /** Job queue settings beyond what the service wires itself. */
  readonly jobs?: Partial<
    Omit<StackJobsOptions, "connectionString" | "store" | "runner" | "zones" | "bus" | "metrics">
  >;
  /** App settings beyond what the service wires itself. */
  readonly app?: Partial<
    Omit<AppDeps, "store" | "zones" | "clusters" | "jobs" | "bus" | "secrets" | "metrics" | "readiness">
  >;
  /** The service's log; jobs and app use it unless their own settings name another. Default: none. */
  readonly logger?: Logger;
  /** Whether to run job workers in this process. Default true; without them requests still enqueue. */
  readonly workers?: boolean;
  /**
   * Whether this process measures the zones' databases and refuses writes to those over their
   * size limit (one process at a time per zone, whichever takes the zone's lock). Default: when
   * it runs job workers.
   */
  readonly databaseLimits?: boolean;
  /**
   * The zones' bucket quotas, enforced periodically by processes that run workers and shown in
   * bucket status. Default `weedBucketQuotas()`, with `weed` from PATH.
   */
  readonly bucketQuotas?: BucketQuotas;
}

/** A built service: its parts, and the first admin token when this start created the admin. */
export interface Service {
  readonly store: Store;
  readonly bus: EventBus;
  readonly jobs: StackJobs;
  /** Holds the zones' databases to their size limits; started when `databaseLimits` is on. */
  readonly databaseLimits: DatabaseLimitEnforcer;
  /** Samples apps' CPU and memory for their last hour; started where workers run. */
  readonly appUsage: AppUsageSampler;
  readonly app: Express;
  /** The service's Prometheus figures; `reconciled()` is the reconciler's to call. */
  readonly metrics: ServiceMetrics;
  readonly adminToken: string | undefined;
  /** Listens on `port` (0 for any) of `host`. */
  listen(port: number, host: string): Promise<Server>;
  /** Serves `/metrics` alone on `port` of `host`, apart from the API. */
  listenMetrics(port: number, host: string): Promise<Server>;
  /**
   * A stop's first half: no more jobs here, running runs get `graceSeconds` (default the jobs'
   * `shutdownGraceSeconds`) and are then handed back. The API keeps answering meanwhile, and
   * `/readyz` answers 503 so that load balancers send requests elsewhere.
   */
  drain(graceSeconds?: number): Promise<void>;
  /**
   * Stops taking jobs, gives running runs `graceSeconds` (default the jobs' `shutdownGraceSeconds`)
   * before handing them back, then closes the connections (not the servers, which their owner
   * closes). `/readyz` answers 503 from the start of the stop.
   */
  stop(graceSeconds?: number): Promise<void>;
}

/**
 * The one composition root (DESIGN.md "Service"): store and migrations, event bus, job queue
 * and workers, the first admin, the express app. `main.ts`, the service tests and the
 * benchmarks all build the service here.
 */
export async function buildService(parts: ServiceParts): Promise<Service> {
  const { databaseUrl, zones, runner, clusters, secrets } = parts;
  const logger = parts.logger ?? silentLogger();
  const metrics = new ServiceMetrics();
  const store = Store.connect(databaseUrl);
  await store.migrate();
  const bus = await EventBus.start(databaseUrl);
  const jobs = new StackJobs({
    connectionString: databaseUrl,
    store,
    runner,
    zones,
    bus,
    secrets,
    logger,
    metrics,
    ...parts.jobs,
  });
  metrics.observeQueue(jobs);
  if (parts.workers === false) await jobs.startQueue();
  else await jobs.start();
  // Custom domains are looked at where the workers run: a process without them only serves requests.
  const domainChecks = new DomainChecks({ store, zones, jobs, logger });
  if (parts.workers !== false) domainChecks.start();
  const adminToken = await ensureAdmin(store);
  const datastores = zoneDatastores();
  const readiness: ReadinessCheck[] = [
    { name: "database", check: () => store.executor.executeSql("select 1", []).then(() => undefined) },
    { name: "queue", check: () => jobs.checkReady() },
  ];
  const bucketQuotas = parts.bucketQuotas ?? weedBucketQuotas();
  const quotaEnforcer = new BucketQuotaEnforcer({ zones, quotas: bucketQuotas, logger });
  if (parts.workers !== false) quotaEnforcer.start();
  const appUsage = new AppUsageSampler({
    store,
    zones,
    clusters,
    intervalSeconds: parts.app?.usageSampleSeconds,
    logger,
  });
  if (parts.workers !== false) appUsage.start();
  const app = createApp({
    store,
    zones,
    clusters,
    jobs,
    bus,
    secrets,
    datastores,
    logger,
    metrics,
    readiness,
    bucketQuotas,
    ...parts.app,
  });
  let stopping: Promise<void> | undefined;
  const listen = (target: Express, port: number, host: string) =>
    new Promise<Server>((resolve, reject) => {
      const listening = target.listen(port, host, (error?: Error) =>
        error ? reject(error) : resolve(listening),
      );
      // A client or proxy that sends on an idle connection just as the service closes it gets
      // a reset, and a POST is not retried. Node closes idle connections after 5 s while
      // proxies keep theirs for one to two minutes; outlasting them leaves the closing to the
      // client, which knows whether a request is on its way.
      listening.keepAliveTimeout = IDLE_CONNECTION_MS;
    });
  // One connection per zone: each pass holds its zone's lock on one for as long as it runs.
  const limitLocks = new StackLocks(databaseUrl, Math.max(1, zones.list().length));
  const guard = zoneDatabaseGuard();
  const databaseLimits = new DatabaseLimitEnforcer({ zones, store, guard, locks: limitLocks, logger });
  if (parts.databaseLimits ?? parts.workers !== false) databaseLimits.start();
  return {
    store,
    bus,
    jobs,
    databaseLimits,
    appUsage,
    app,
    metrics,
    adminToken,
    listen: async (port, host) => {
      const listening = await listen(app, port, host);
      // WebSocket upgrades (port-forward) go through the app like any request.
      routeUpgrades(listening, app);
      return listening;
    },
    drain: (graceSeconds) => jobs.drain(graceSeconds),
    listenMetrics: (port, host) => listen(createMetricsApp(metrics, logger), port, host),
    // Once, however often asked (a second SIGTERM while the first stop waits on its runs).
    stop: (graceSeconds) =>
      (stopping ??= (async () => {
        await databaseLimits.stop();
        await appUsage.stop();
        await quotaEnforcer.stop();
        await domainChecks.stop();
        await jobs.stop(graceSeconds);
        await bus.close();
        await datastores.close();
        await guard.close();
        await limitLocks.close();
        await store.close();
      })()),
  };
}
