import type { DatabaseWrites } from "../domain/database-limit.js";
import type {
  DatabaseLimitEventRow,
  DatabaseLimitEventsTable,
  DatabaseLimitRow,
  ProjectRow,
} from "./schema.js";
import { projectRow, type Db } from "./store.js";

/** Events kept per database; older ones are dropped as new ones come. */
export const DATABASE_LIMIT_EVENTS_KEPT = 50;

/** A database's limit state as the service uses it: figures as numbers. */
export interface DatabaseLimitRecord {
  readonly projectId: string;
  readonly database: string;
  readonly writes: DatabaseWrites;
  readonly refusedAtLimitBytes: number | null;
  readonly sizeBytes: number;
  readonly limitBytes: number;
  readonly measuredAt: Date;
  readonly changedAt: Date;
  readonly error: string | null;
}

/** An event of a database's limit, as its member reads it. */
export interface DatabaseLimitEvent {
  readonly id: string;
  readonly at: Date;
  readonly type: DatabaseLimitEventsTable["type"];
  readonly message: string;
  readonly sizeBytes: number;
  readonly limitBytes: number;
}

function record(row: DatabaseLimitRow): DatabaseLimitRecord {
  return {
    ...row,
    refusedAtLimitBytes: row.refusedAtLimitBytes === null ? null : Number(row.refusedAtLimitBytes),
    sizeBytes: Number(row.sizeBytes),
    limitBytes: Number(row.limitBytes),
  };
}

function event(row: DatabaseLimitEventRow): DatabaseLimitEvent {
  return {
    id: row.id,
    at: row.at,
    type: row.type,
    message: row.message,
    sizeBytes: Number(row.sizeBytes),
    limitBytes: Number(row.limitBytes),
  };
}

/** The service's record of its projects' databases against their size limits. */
export class DatabaseLimits {
  constructor(private readonly db: Db) {}

  /** The zone's projects that are not being deleted, with their specs. */
  async activeProjects(zone: string): Promise<ProjectRow[]> {
    const rows = await this.db
      .selectFrom("projects")
      .selectAll()
      .where("zone", "=", zone)
      .where("status", "=", "active")
      .execute();
    return rows.map(projectRow);
  }

  /** The records of the zone's databases, keyed `<project id>/<database>`. */
  async ofZone(zone: string): Promise<Map<string, DatabaseLimitRecord>> {
    const rows = await this.db
      .selectFrom("databaseLimits")
      .innerJoin("projects", "projects.id", "databaseLimits.projectId")
      .selectAll("databaseLimits")
      .where("projects.zone", "=", zone)
      .execute();
    return new Map(rows.map((row) => [`${row.projectId}/${row.database}`, record(row)]));
  }

  async find(projectId: string, database: string): Promise<DatabaseLimitRecord | undefined> {
    const row = await this.db
      .selectFrom("databaseLimits")
      .selectAll()
      .where("projectId", "=", projectId)
      .where("database", "=", database)
      .executeTakeFirst();
    return row && record(row);
  }

  async save(state: DatabaseLimitRecord): Promise<void> {
    const values = {
      projectId: state.projectId,
      database: state.database,
      writes: state.writes,
      refusedAtLimitBytes: state.refusedAtLimitBytes,
      sizeBytes: state.sizeBytes,
      limitBytes: state.limitBytes,
      measuredAt: state.measuredAt,
      changedAt: state.changedAt,
      error: state.error,
    };
    await this.db
      .insertInto("databaseLimits")
      .values(values)
      .onConflict((conflict) =>
        conflict.columns(["projectId", "database"]).doUpdateSet({
          writes: values.writes,
          refusedAtLimitBytes: values.refusedAtLimitBytes,
          sizeBytes: values.sizeBytes,
          limitBytes: values.limitBytes,
          measuredAt: values.measuredAt,
          changedAt: values.changedAt,
          error: values.error,
        }),
      )
      .execute();
  }

  /** Forgets a database that its project no longer has. */
  async forget(projectId: string, database: string): Promise<void> {
    await this.db
      .deleteFrom("databaseLimits")
      .where("projectId", "=", projectId)
      .where("database", "=", database)
      .execute();
  }

  async addEvent(
    projectId: string,
    database: string,
    entry: Omit<DatabaseLimitEvent, "id" | "at">,
  ): Promise<void> {
    await this.db
      .insertInto("databaseLimitEvents")
      .values({ projectId, database, ...entry })
      .execute();
    const kept = this.db
      .selectFrom("databaseLimitEvents")
      .select("id")
      .where("projectId", "=", projectId)
      .where("database", "=", database)
      .orderBy("id", "desc")
      .limit(DATABASE_LIMIT_EVENTS_KEPT);
    await this.db
      .deleteFrom("databaseLimitEvents")
      .where("projectId", "=", projectId)
      .where("database", "=", database)
      .where("id", "not in", kept)
      .execute();
  }

  /** A database's events, the newest first. */
  async events(projectId: string, database: string, limit = 20): Promise<DatabaseLimitEvent[]> {
    const rows = await this.db
      .selectFrom("databaseLimitEvents")
      .selectAll()
      .where("projectId", "=", projectId)
      .where("database", "=", database)
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
    return rows.map(event);
  }
}
