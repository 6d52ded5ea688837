import type { Server } from "node:http";
import type { Express } from "express";
import { createApp, type AppDeps } from "./app.js";
import type { ZoneClusters } from "./cluster/cluster.js";
import { zoneDatastores } from "./datastores/zone-postgres.js";
import { ensureAdmin } from "./domain/bootstrap.js";
import type { SecretBox } from "./domain/secret-box.js";
import { routeUpgrades } from "./http/port-forward.js";
import type { ZoneCatalog } from "./domain/zones.js";
import { EventBus } from "./jobs/event-bus.js";
import { StackJobs, type StackJobsOptions } from "./jobs/stack-jobs.js";
import type { Runner } from "./runner/runner.js";
import { Store } from "./store/store.js";

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
  readonly jobs?: Partial<Omit<StackJobsOptions, "connectionString" | "store" | "runner" | "zones" | "bus">>;
  /** App settings beyond what the service wires itself. */
  readonly app?: Partial<Omit<AppDeps, "store" | "zones" | "clusters" | "jobs" | "bus" | "secrets">>;
  /** Whether to run job workers in this process. Default true; without them requests still enqueue. */
  readonly workers?: boolean;
}

/** A built service: its parts, and the first admin token when this start created the admin. */
export interface Service {
  readonly store: Store;
  readonly bus: EventBus;
  readonly jobs: StackJobs;
  readonly app: Express;
  readonly adminToken: string | undefined;
  /** Listens on `port` (0 for any) of `host`. */
  listen(port: number, host: string): Promise<Server>;
  /** Stops the workers and closes the connections (not the server, which its owner closes). */
  stop(): Promise<void>;
}

/**
 * The one composition root (DESIGN.md "Service"): store and migrations, event bus, job queue
 * and workers, the first admin, the express app. `main.ts`, the service tests and the
 * benchmarks all build the service here.
 */
export async function buildService(parts: ServiceParts): Promise<Service> {
  const { databaseUrl, zones, runner, clusters, secrets } = parts;
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
    ...parts.jobs,
  });
  if (parts.workers === false) await jobs.startQueue();
  else await jobs.start();
  const adminToken = await ensureAdmin(store);
  const datastores = zoneDatastores();
  const app = createApp({ store, zones, clusters, jobs, bus, secrets, datastores, ...parts.app });
  return {
    store,
    bus,
    jobs,
    app,
    adminToken,
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        const listening = app.listen(port, host, (error?: Error) =>
          error ? reject(error) : resolve(listening),
        );
        // WebSocket upgrades (port-forward) go through the app like any request.
        routeUpgrades(listening, app);
      }),
    stop: async () => {
      await jobs.stop();
      await bus.close();
      await datastores.close();
      await store.close();
    },
  };
}
