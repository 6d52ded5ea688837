import { databaseIdentifier } from "../../components/project-database/names.js";
import type { ZoneSpec } from "../../spec/zone.js";
import type { DatabaseWriteGuard } from "../datastores/database-guard.js";
import {
  BYTES_PER_GB,
  DatabaseWrites,
  decideDatabaseLimit,
  limitEventMessage,
  refusalHint,
  refusalMessage,
  type DatabaseLimitAction,
} from "../domain/database-limit.js";
import { silentLogger, type Logger } from "../observability/log.js";
import type { ZoneCatalog } from "../domain/zones.js";
import { DatabaseLimits, type DatabaseLimitRecord } from "../store/database-limits.js";
import type { Store } from "../store/store.js";
import type { StackLocks } from "./stack-lock.js";

/** What one pass over a zone's databases did. */
export interface DatabaseLimitPass {
  readonly zone: string;
  /** Databases measured (those not made yet are not). */
  readonly measured: number;
  /** `<project>/<database>` of each database whose writes changed, by the action taken. */
  readonly refused: readonly string[];
  readonly restored: readonly string[];
  /** `<project>/<database>`: why refusing or restoring its writes failed. */
  readonly failed: ReadonlyMap<string, string>;
  readonly durationMs: number;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Measures every database of the zone's active projects and holds each to the `sizeGB` of its
 * project's desired spec (already admitted against the member's share, so raising it is the
 * upgrade, effective at the next pass without waiting for the stack's run). Over the limit,
 * writes are refused; back under it, accepted. Each change leaves an event for the member; a
 * failed change is retried at the next pass, and reported once per distinct reason.
 */
export async function enforceDatabaseLimits(
  zone: ZoneSpec,
  store: Store,
  guard: DatabaseWriteGuard,
  logger: Logger = silentLogger(),
): Promise<DatabaseLimitPass> {
  const started = Date.now();
  const limits = new DatabaseLimits(store.db);
  const projects = await limits.activeProjects(zone.name);
  const records = await limits.ofZone(zone.name);
  const items = projects.flatMap((project) =>
    project.spec.databases.map((database) => ({
      projectId: project.id,
      project: project.name,
      name: database.name,
      identifier: databaseIdentifier(project.name, database.name),
      limitBytes: Math.round(database.sizeGB * BYTES_PER_GB),
    })),
  );
  const sizes = await guard.sizes(
    zone,
    items.map((item) => item.identifier),
  );
  const refused: string[] = [];
  const restored: string[] = [];
  const failed = new Map<string, string>();
  const seen = new Set<string>();

  for (const item of items) {
    const key = `${item.projectId}/${item.name}`;
    seen.add(key);
    const sizeBytes = sizes.get(item.identifier);
    if (sizeBytes === undefined) continue;
    const measurement = { sizeBytes, limitBytes: item.limitBytes };
    const state = records.get(key);
    const action: DatabaseLimitAction = decideDatabaseLimit(state, measurement);
    const now = new Date();
    const label = `${item.project}/${item.name}`;
    const next: DatabaseLimitRecord = {
      projectId: item.projectId,
      database: item.name,
      writes: state?.writes ?? DatabaseWrites.accepted,
      refusedAtLimitBytes: state?.refusedAtLimitBytes ?? null,
      sizeBytes,
      limitBytes: item.limitBytes,
      measuredAt: now,
      changedAt: state?.changedAt ?? now,
      error: null,
    };
    try {
      if (action === "refuse" || action === "renew") {
        await guard.refuseWrites(
          zone,
          {
            database: item.identifier,
            role: item.identifier,
            message: refusalMessage(item.identifier, item.limitBytes),
            hint: refusalHint(zone.postgres.sizeCheckSeconds),
          },
          { endSessions: action === "refuse" },
        );
      } else if (action === "restore") {
        await guard.acceptWrites(zone, item.identifier);
      }
    } catch (error) {
      const reason = errorMessage(error);
      failed.set(label, reason);
      logger.warn({ database: label, action, reason }, "database limit: enforcement failed");
      await limits.save({ ...next, error: reason });
      if (state?.error !== reason) {
        await limits.addEvent(item.projectId, item.name, {
          type: "enforcement-failed",
          message: `could not ${action === "restore" ? "accept" : "refuse"} writes: ${reason}`,
          ...measurement,
        });
      }
      continue;
    }
    if (action === "refuse" || action === "restore") {
      const writes = action === "refuse" ? DatabaseWrites.refused : DatabaseWrites.accepted;
      await limits.save({
        ...next,
        writes,
        refusedAtLimitBytes: action === "refuse" ? item.limitBytes : null,
        changedAt: now,
      });
      await limits.addEvent(item.projectId, item.name, {
        type: action === "refuse" ? "writes-refused" : "writes-restored",
        message: limitEventMessage(action, item.identifier, measurement),
        ...measurement,
      });
      (action === "refuse" ? refused : restored).push(label);
      logger.info({ database: label, action }, limitEventMessage(action, item.identifier, measurement));
    } else {
      await limits.save({ ...next, refusedAtLimitBytes: action === "renew" ? item.limitBytes : null });
    }
  }
  for (const [key, state] of records) {
    if (!seen.has(key)) await limits.forget(state.projectId, state.database);
  }
  return {
    zone: zone.name,
    measured: items.filter((item) => sizes.has(item.identifier)).length,
    refused,
    restored,
    failed,
    durationMs: Date.now() - started,
  };
}

/** What the enforcer needs; the zones' intervals are their `postgres.sizeCheckSeconds`. */
export interface DatabaseLimitEnforcerOptions {
  readonly zones: ZoneCatalog;
  readonly store: Store;
  readonly guard: DatabaseWriteGuard;
  /** Held for a zone's pass, so that one service process at a time measures a zone. */
  readonly locks: StackLocks;
  readonly logger?: Logger;
}

/**
 * Runs `enforceDatabaseLimits` for every zone on the zone's own interval. A pass that is still
 * running when the next is due makes that one wait for the interval after; a zone another
 * service process is measuring is left to it.
 */
export class DatabaseLimitEnforcer {
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly running = new Map<string, Promise<DatabaseLimitPass | undefined>>();

  constructor(private readonly options: DatabaseLimitEnforcerOptions) {}

  start(): void {
    for (const zone of this.options.zones.list()) {
      const timer = setInterval(() => void this.pass(zone), zone.postgres.sizeCheckSeconds * 1000);
      timer.unref();
      this.timers.push(timer);
      void this.pass(zone);
    }
  }

  /** One pass over a zone, unless one is already running here or in another process. */
  pass(zone: ZoneSpec): Promise<DatabaseLimitPass | undefined> {
    const current = this.running.get(zone.name);
    if (current) return current;
    const logger = this.options.logger ?? silentLogger();
    const run = (async () => {
      const lock = await this.options.locks.tryLock(`database-limits.${zone.name}`);
      if (!lock) return undefined;
      try {
        return await enforceDatabaseLimits(zone, this.options.store, this.options.guard, logger);
      } finally {
        await lock.release();
      }
    })()
      .catch((error: unknown) => {
        logger.error({ err: error, zone: zone.name }, "database limits: pass failed");
        return undefined;
      })
      .finally(() => this.running.delete(zone.name));
    this.running.set(zone.name, run);
    return run;
  }

  /** Stops the timers and waits for the passes under way. */
  async stop(): Promise<void> {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    await Promise.all(this.running.values());
  }
}
